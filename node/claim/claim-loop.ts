/**
 * Asks the coordinator for work whenever the node wants another lease (a
 * free slot, or claim-ahead: the next unit while one is about to end): at
 * start, after a unit starts or ends, after a reconnect, when a gossip offer
 * arrives, when the daemon says a prefetch falls due, and otherwise every
 * `pollIntervalMs` (gossip is only a hint; a node that missed every offer
 * still finds work by asking).
 */
import { logger } from '@libp2p/logger'
import type { CoordinatorLink } from '../link/coordinator-link.ts'
import type { Capabilities, Lease, UnitSpec } from '../../src/wire/messages.ts'
import { WakeSignal } from '../wake-signal.ts'
import { backoffDelayMs } from '../link/backoff.ts'
import { MAX_LEASES_PER_CLAIM, second } from '../../src/wire/constants.ts'

const log = logger('mdswarm:node:claim')
/** How long a claim may wait at the coordinator for work to appear (long poll), ms. */
const CLAIM_WAIT_MS = 2.5 * second

/** How often an idle node asks for work without being prompted, ms. */
export const DEFAULT_CLAIM_POLL_INTERVAL_MS = 3 * second
/**
 * A 'no-work' answer that took at least this long was held by the
 * coordinator until it gave up waiting for work (long poll): ask again at
 * once, so an idle node always has a claim waiting there. A quick refusal
 * (a coordinator that does not hold claims) waits for the poll interval.
 */
export const HELD_CLAIM_MIN_MS = 1 * second

export interface ClaimLoopDeps {
  readonly link: CoordinatorLink
  readonly capabilities: Capabilities
  /** How many more leases the node wants now, and (when none) in how many ms to ask again. */
  readonly demand: () => ClaimDemand
  /** Takes a granted lease: records it durably and starts the worker. */
  readonly onLease: (lease: Lease, unit: UnitSpec) => Promise<void>
  readonly onRefused?: (code: string, reason: string) => void
  readonly pollIntervalMs?: number
}

export interface ClaimDemand {
  readonly leases: number
  /** Wanted later (claim-ahead falls due): look again after this many ms. */
  readonly recheckInMs?: number
}

export class ClaimLoop {
  private readonly deps: ClaimLoopDeps
  private readonly wakeSignal = new WakeSignal()
  /** Cuts short a claim in flight (the coordinator may hold it for a while) when the loop stops. */
  private readonly stopController = new AbortController()
  private running = false
  private loopDone: Promise<void> = Promise.resolve()

  constructor (deps: ClaimLoopDeps) {
    this.deps = deps
  }

  start (): void {
    if (this.running) return
    this.running = true
    this.loopDone = this.loop()
  }

  async stop (): Promise<void> {
    this.running = false
    this.stopController.abort()
    this.wakeSignal.wake()
    await this.loopDone
  }

  /** Something changed (offer, free slot, reconnect): ask again now. */
  wake (): void { this.wakeSignal.wake() }

  private async loop (): Promise<void> {
    let failures = 0
    const poll = this.deps.pollIntervalMs ?? DEFAULT_CLAIM_POLL_INTERVAL_MS
    let delay = 0
    while (this.running) {
      await this.wakeSignal.sleep(delay)
      if (!this.running) break
      delay = poll
      if (!this.deps.link.connected) continue
      const demand = this.deps.demand()
      if (demand.leases <= 0) {
        if (demand.recheckInMs !== undefined) delay = Math.min(poll, Math.max(1, demand.recheckInMs))
        continue
      }
      try {
        const sentAt = performance.now()
        const count = Math.min(demand.leases, MAX_LEASES_PER_CLAIM)
        const response = await this.deps.link.claim({ type: 'claim', capabilities: this.deps.capabilities, waitMs: CLAIM_WAIT_MS, ...(count > 1 ? { count } : {}) }, undefined, this.stopController.signal)
        if (!this.running) break
        failures = 0
        if (response.type === 'lease') {
          await this.deps.onLease(response.lease, response.unit)
          for (const grant of response.more ?? []) await this.deps.onLease(grant.lease, grant.unit)
          delay = 0 // maybe more slots to fill
        } else if (response.type === 'refused') {
          this.deps.onRefused?.(response.code, response.reason)
          if (response.code === 'rate-limited') delay = 2 * poll
          else if (response.code === 'no-work' && performance.now() - sentAt >= HELD_CLAIM_MIN_MS) delay = 0
        } else {
          log('claim answered with %s', response.type)
        }
      } catch (err) {
        failures += 1
        delay = backoffDelayMs(failures, 250, poll)
        log('claim failed (%s: %s)', (err as Error).name, (err as Error).message)
      }
    }
  }
}
