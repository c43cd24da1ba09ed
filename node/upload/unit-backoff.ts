/**
 * When each unit's upload may be tried again: its own failure count and
 * jittered exponential delay, so one unit's trouble never delays another
 * and another unit's success never resets it. Also counts, per unit, the
 * refusals of a coordinator that still wants the unit (bounded by the
 * uploader).
 *
 * @example
 * const backoff = new UnitBackoff()
 * backoff.failed('u1')            // u1 waits 125..250 ms, then 250..500 ms, ...
 * if (backoff.isDue('u1')) retry()
 * backoff.succeeded('u1')        // back to no delay
 */
import { backoffDelayMs } from '../link/backoff.ts'

export interface UnitBackoffOptions {
  /** Ceiling of the first delay, ms. */
  readonly initialMs?: number
  /** Ceiling of every delay, ms. */
  readonly maxMs?: number
  /** Clock, ms (default performance.now). */
  readonly now?: () => number
  readonly random?: () => number
}

interface UnitRetry {
  failures: number
  refusals: number
  /** Not tried again before this time, ms on `now`'s clock. */
  dueAtMs: number
}

export class UnitBackoff {
  private readonly units = new Map<string, UnitRetry>()
  private readonly initialMs: number
  private readonly maxMs: number
  private readonly now: () => number
  private readonly random: () => number

  constructor (options: UnitBackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 250
    this.maxMs = options.maxMs ?? 5000
    this.now = options.now ?? (() => performance.now())
    this.random = options.random ?? Math.random
  }

  /** Notes a failed try of `unitId`; returns its delay before the next, ms. */
  failed (unitId: string): number {
    const retry = this.retryOf(unitId)
    const delayMs = backoffDelayMs(retry.failures, this.initialMs, this.maxMs, this.random)
    retry.failures += 1
    retry.dueAtMs = this.now() + delayMs
    return delayMs
  }

  /** Notes a refusal of `unitId` by a coordinator that still wants it (also a failed try); returns the refusals so far. */
  refused (unitId: string): number {
    this.failed(unitId)
    const retry = this.retryOf(unitId)
    retry.refusals += 1
    return retry.refusals
  }

  /** The unit's upload went through: no delay, no count. */
  succeeded (unitId: string): void {
    this.units.delete(unitId)
  }

  /** Forgets units `keep` says no to (given up, completed). */
  prune (keep: (unitId: string) => boolean): void {
    for (const unitId of this.units.keys()) if (!keep(unitId)) this.units.delete(unitId)
  }

  /** True when `unitId` may be tried now. */
  isDue (unitId: string, nowMs = this.now()): boolean {
    const retry = this.units.get(unitId)
    return retry === undefined || retry.dueAtMs <= nowMs
  }

  /** ms until the next unit that waits now is due, or undefined when none waits (units already due do not count). */
  msUntilNextDue (nowMs = this.now()): number | undefined {
    let soonest: number | undefined
    for (const retry of this.units.values()) {
      const left = retry.dueAtMs - nowMs
      if (left > 0 && (soonest === undefined || left < soonest)) soonest = left
    }
    return soonest
  }

  /** Every unit may be tried now (the link came back), counts kept: a new failure waits longer. */
  allDue (): void {
    const nowMs = this.now()
    for (const retry of this.units.values()) retry.dueAtMs = Math.min(retry.dueAtMs, nowMs)
  }

  /** Failed tries of `unitId` since its last success. */
  failures (unitId: string): number {
    return this.units.get(unitId)?.failures ?? 0
  }

  private retryOf (unitId: string): UnitRetry {
    let retry = this.units.get(unitId)
    if (retry === undefined) this.units.set(unitId, retry = { failures: 0, refusals: 0, dueAtMs: 0 })
    return retry
  }
}
