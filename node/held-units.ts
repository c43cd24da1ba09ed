/**
 * The units this node holds a lease on, in memory: the durable part lives in
 * the outbox; this adds what only the running process knows (the worker's
 * abort controller, progress, throughput).
 */
import type { UnitRecord } from './outbox/records.ts'

export interface HeldUnit {
  readonly unitId: string
  readonly attempt: number
  readonly record: UnitRecord
  /** Latest step the engine reached (reported on lease renewal). */
  step: number
  /** Lease expiry as the coordinator last stated it, ms since epoch (0: unknown, e.g. after a restart). */
  leaseExpiresAt: number
  /** Set while a worker runs the unit. */
  execution: { controller: AbortController, startedAtMs: number, startStep: number, stepSizePs: number } | null
  /** Engine compute time spent on the unit by earlier runs (before a restart), ms. */
  engineMsBefore: number
  /** Set once the unit was given up (lease lost or cancelled): its results are thrown away. */
  abandoned: boolean
}

export class HeldUnits {
  private readonly units = new Map<string, HeldUnit>()

  add (record: UnitRecord): HeldUnit {
    const held: HeldUnit = {
      unitId: record.unit.unitId,
      attempt: record.attempt,
      record,
      step: record.resumeStep ?? record.unit.startStep,
      leaseExpiresAt: 0,
      execution: null,
      engineMsBefore: record.engineMs,
      abandoned: false
    }
    this.units.set(held.unitId, held)
    return held
  }

  get (unitId: string): HeldUnit | undefined { return this.units.get(unitId) }
  delete (unitId: string): void { this.units.delete(unitId) }
  all (): HeldUnit[] { return [...this.units.values()] }
  get size (): number { return this.units.size }

  /** Units a worker is running now. */
  running (): HeldUnit[] { return this.all().filter(u => u.execution !== null) }

  /** Summed throughput of the running units, ns/day. */
  nsPerDay (nowMs = performance.now()): number {
    let total = 0
    for (const unit of this.running()) {
      const execution = unit.execution!
      const elapsedMs = nowMs - execution.startedAtMs
      const steps = unit.step - execution.startStep
      if (elapsedMs <= 0 || steps <= 0) continue
      // ps per ms of wall time → ns per day: × 86 400 000 ms/day ÷ 1000 ps/ns
      total += (steps * execution.stepSizePs / elapsedMs) * 86_400
    }
    return total
  }
}
