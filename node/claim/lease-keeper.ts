/**
 * Renews the leases of every unit the node holds (running, or finished and
 * still uploading) every third of the lease time, reporting each unit's
 * step. A lease that comes back with `cancel: true` (job cancelled, or the
 * lease no longer ours) makes the node stop that unit's worker at once.
 */
import { logger } from '@libp2p/logger'
import type { CoordinatorLink } from '../link/coordinator-link.ts'
import type { HeldUnit, HeldUnits } from '../held-units.ts'
import { WakeSignal } from '../wake-signal.ts'
import { second } from '../../src/wire/constants.ts'
import { MAX_LEASES_PER_RENEW } from '../../src/wire/constants.ts'

const log = logger('mdswarm:node:lease')

/** Lease time assumed until a coordinator states one, ms. */
export const DEFAULT_LEASE_TTL_MS = 30 * second
/** Shortest time between renewals, ms. */
export const MIN_RENEW_INTERVAL_MS = 0.2 * second

export interface LeaseKeeperDeps {
  readonly link: CoordinatorLink
  readonly held: HeldUnits
  readonly abandon: (held: HeldUnit, reason: string) => Promise<void>
  readonly onCancelled?: (held: HeldUnit) => void
}

export class LeaseKeeper {
  private readonly deps: LeaseKeeperDeps
  private readonly wakeSignal = new WakeSignal()
  private running = false
  private loopDone: Promise<void> = Promise.resolve()
  /** Lease duration as last seen on a grant or renewal, ms. */
  private leaseTtlMs = DEFAULT_LEASE_TTL_MS

  constructor (deps: LeaseKeeperDeps) {
    this.deps = deps
  }

  get renewIntervalMs (): number {
    return Math.max(MIN_RENEW_INTERVAL_MS, this.leaseTtlMs / 3)
  }

  /** Learns the lease time from a grant: `expiresAt` (coordinator clock) minus now. */
  observeLease (expiresAt: number): void {
    const ttl = expiresAt - Date.now()
    if (ttl <= 0) return
    const before = this.renewIntervalMs
    this.leaseTtlMs = ttl
    // A shorter lease than assumed: the sleeping loop must not wait out the old interval.
    if (this.renewIntervalMs < before * 0.9) this.wakeSignal.wake()
  }

  start (): void {
    if (this.running) return
    this.running = true
    this.loopDone = this.loop()
  }

  async stop (): Promise<void> {
    this.running = false
    this.wakeSignal.wake()
    await this.loopDone
  }

  /** Renew now (after a reconnect or a restart). */
  renewNow (): void { this.wakeSignal.wake() }

  private async loop (): Promise<void> {
    while (this.running) {
      await this.wakeSignal.sleep(this.renewIntervalMs)
      if (!this.running) break
      if (!this.deps.link.connected || this.deps.held.size === 0) continue
      try {
        await this.renew()
      } catch (err) {
        log('renewal failed (%s: %s)', (err as Error).name, (err as Error).message)
      }
    }
  }

  private async renew (): Promise<void> {
    const units = this.deps.held.all().filter(u => !u.abandoned).slice(0, MAX_LEASES_PER_RENEW)
    if (units.length === 0) return
    const response = await this.deps.link.claim({ type: 'renew', leases: units.map(u => ({ unitId: u.unitId, attempt: u.attempt, step: u.step })) })
    log('renewed %d lease(s)', units.length)
    if (response.type !== 'renewed') {
      log('renewal answered with %s', response.type)
      return
    }
    for (const lease of response.leases) {
      const held = this.deps.held.get(lease.unitId)
      if (held === undefined || held.attempt !== lease.attempt || held.abandoned) continue
      if (lease.cancel) {
        log('unit %s attempt %d: coordinator says stop', held.unitId, held.attempt)
        await this.deps.abandon(held, 'the coordinator cancelled this unit or no longer leases it to this node')
        this.deps.onCancelled?.(held)
      } else {
        held.leaseExpiresAt = lease.expiresAt
        this.observeLease(lease.expiresAt)
      }
    }
  }
}
