/**
 * A record of what the coordinator refused for security reasons: control
 * requests from clients not on the allow-list, frames or checkpoints from a
 * peer that does not hold the unit (or from an old attempt), implausible
 * results, rate-limited floods. Every refusal is counted; at most
 * `maxReportsPerMinute` are reported to listeners (the CLI prints them), so
 * a flood cannot flood the log too. Suppressed ones are summed in the next
 * report.
 */
import { EventEmitter } from 'node:events'
import { logger } from '@libp2p/logger'

const log = logger('mdswarm:coordinator:security')

export type RefusalKind = 'not-allowed' | 'not-admin' | 'not-holder' | 'stale-attempt' | 'bad-result' | 'rate-limited'

export interface Refusal {
  readonly kind: RefusalKind
  readonly peerId: string
  readonly detail: string
  readonly at: number
  /** Refusals not reported since the previous report (log budget exhausted). */
  readonly suppressedBefore: number
}

interface RefusalEvents { refusal: [Refusal] }

export class RefusalLog extends EventEmitter<RefusalEvents> {
  readonly counts: Record<RefusalKind, number> = { 'not-allowed': 0, 'not-admin': 0, 'not-holder': 0, 'stale-attempt': 0, 'bad-result': 0, 'rate-limited': 0 }
  private readonly maxReportsPerMinute: number
  private windowStart = 0
  private reportsInWindow = 0
  private suppressed = 0

  constructor (options: { maxReportsPerMinute?: number } = {}) {
    super()
    this.maxReportsPerMinute = options.maxReportsPerMinute ?? 60
  }

  note (kind: RefusalKind, peerId: string, detail: string, now = Date.now()): void {
    this.counts[kind] += 1
    log('refused %s from %s: %s', kind, peerId, detail)
    if (now - this.windowStart >= 60_000) { this.windowStart = now; this.reportsInWindow = 0 }
    if (this.reportsInWindow >= this.maxReportsPerMinute) { this.suppressed += 1; return }
    this.reportsInWindow += 1
    const refusal: Refusal = { kind, peerId, detail, at: now, suppressedBefore: this.suppressed }
    this.suppressed = 0
    this.emit('refusal', refusal)
  }
}
