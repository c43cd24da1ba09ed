/**
 * The work-unit state machine as a table. Every change of a unit's `state`
 * goes through `transition()`, which refuses what the table does not allow.
 *
 *   queued → leased → done | failed
 *   leased → queued            (lease expired, node lost, retryable failure)
 *   queued | leased → cancelled
 */
import type { UnitRecord, UnitState } from '../store/records.ts'
import { InvalidTransitionError } from './errors.ts'

const ALLOWED: Readonly<Record<UnitState, readonly UnitState[]>> = {
  queued: ['leased', 'cancelled'],
  leased: ['queued', 'done', 'failed', 'cancelled'],
  done: [],
  failed: [],
  cancelled: [],
}

export function canTransition (from: UnitState, to: UnitState): boolean {
  return ALLOWED[from].includes(to)
}

/** Returns the unit in state `to` with `changes` applied; throws InvalidTransitionError if not allowed. */
export function transition (unit: UnitRecord, to: UnitState, changes: Partial<UnitRecord>, now: number): UnitRecord {
  if (!canTransition(unit.state, to)) throw new InvalidTransitionError(unit.unitId, unit.state, to)
  return { ...unit, ...changes, state: to, updatedAt: now }
}
