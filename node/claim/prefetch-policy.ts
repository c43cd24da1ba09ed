/**
 * When a node should lease one unit more than it can run (claim-ahead), so
 * that the next unit and its payloads are on hand the moment a slot frees
 * and the engine never waits for a claim round trip.
 *
 * Holding a unit early has a cost at the end of a batch of work: a unit
 * waiting here is one another, idle node cannot get. So the extra lease is
 * taken only when a running unit is expected to end within `leadMs`,
 * judged from the wall time per step of the node's earlier units of the
 * same system (unknown: assume it ends soon, as a tiny unit does).
 *
 * @example
 * const policy = new PrefetchPolicy()
 * policy.noteFinished(systemHash, 5000, 900)           // 5000 steps took 900 ms
 * policy.dueInMs([{ systemHash, stepsLeft: 40000, runningForMs: 100 }])  // ≈ 5600 (7100 ms left, 1500 ms lead)
 */

/**
 * Default lead: prefetch when a running unit has this little left, ms. Long
 * enough to cover a claim round trip and the payloads on a busy machine
 * (unit times vary there a lot), short against long units, so at most about
 * this much work waits on a busy node while another has none.
 */
export const DEFAULT_PREFETCH_LEAD_MS = 1500
/**
 * Short units: keep enough leased ahead to cover this much work per slot, ms,
 * so the engine does not wait on claim round trips (a few ms each, more on a
 * busy machine) between units that take about as long.
 */
export const AHEAD_COVER_MS = 50
/** Most units held ahead (waiting to run) however short they are. */
export const MAX_AHEAD = 16
/** Weight of the newest unit in the running mean of ms per step. */
const SMOOTHING = 0.3
/** Systems remembered. */
const MAX_SYSTEMS = 64

export interface RunningUnitProgress {
  readonly systemHash: string
  /** Steps the unit still had to run when its worker started. */
  readonly stepsLeft: number
  /** Wall time since its worker started, ms. */
  readonly runningForMs: number
}

export class PrefetchPolicy {
  readonly leadMs: number
  private readonly msPerStep = new Map<string, number>()

  constructor (leadMs = DEFAULT_PREFETCH_LEAD_MS) {
    this.leadMs = leadMs
  }

  /** A unit of `systemHash` ran `steps` steps in `wallMs` (worker start to end). */
  noteFinished (systemHash: string, steps: number, wallMs: number): void {
    if (!(steps > 0) || !(wallMs >= 0)) return
    const sample = wallMs / steps
    const before = this.msPerStep.get(systemHash)
    this.msPerStep.delete(systemHash)
    this.msPerStep.set(systemHash, before === undefined ? sample : before + SMOOTHING * (sample - before))
    for (const oldest of this.msPerStep.keys()) {
      if (this.msPerStep.size <= MAX_SYSTEMS) break
      this.msPerStep.delete(oldest)
    }
  }

  /** Expected wall time left of a running unit, ms (0 when unknown). */
  remainingMs (unit: RunningUnitProgress): number {
    const rate = this.msPerStep.get(unit.systemHash)
    if (rate === undefined) return 0
    return Math.max(0, unit.stepsLeft * rate - unit.runningForMs)
  }

  /**
   * Units worth holding ahead of `slots` busy slots: 1 (the next one) for
   * units of unknown or ordinary length; for units shorter than
   * AHEAD_COVER_MS, as many as that much work takes (at most MAX_AHEAD).
   */
  aheadWanted (running: readonly RunningUnitProgress[], slots: number): number {
    let shortestMs = Infinity
    for (const unit of running) {
      const rate = this.msPerStep.get(unit.systemHash)
      if (rate !== undefined) shortestMs = Math.min(shortestMs, unit.stepsLeft * rate)
    }
    if (!Number.isFinite(shortestMs)) return 1
    return Math.max(1, Math.min(MAX_AHEAD, Math.ceil(AHEAD_COVER_MS * Math.max(1, slots) / Math.max(shortestMs, 0.05))))
  }

  /** Ms until an extra lease is worth taking (0: now), given the units running now. */
  dueInMs (running: readonly RunningUnitProgress[]): number {
    if (running.length === 0) return 0
    let soonest = Infinity
    for (const unit of running) soonest = Math.min(soonest, this.remainingMs(unit))
    return Math.max(0, soonest - this.leadMs)
  }
}
