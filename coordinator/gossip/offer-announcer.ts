/**
 * Announces queued units on `/mdswarm/<network>/offers`: at once when a unit
 * becomes claimable, and the top of the queue again every `intervalMs` for
 * nodes that joined late or missed a message. Gossip is a hint: a node that
 * hears nothing still gets work by claiming. Units queued in one turn of the
 * event loop (a submit of many replicas) are announced once per distinct
 * set of requirements, not once each: one offer wakes a node, which then
 * claims until the queue has nothing more for it.
 */
import { logger } from '@libp2p/logger'
import type { MdswarmPeer } from '../../src/p2p/create-peer.ts'
import { publishGossip } from '../../src/p2p/gossip.ts'
import { offersTopic } from '../../src/p2p/topics.ts'
import type { OfferMessage } from '../../src/wire/messages.ts'
import type { WorkQueue } from '../queue/work-queue.ts'
import type { JobRecord, UnitRecord } from '../store/records.ts'

const log = logger('mdswarm:coordinator:offers')

export interface OfferAnnouncerOptions {
  readonly intervalMs: number
  /** Units re-announced per interval (highest priority first). */
  readonly topUnits: number
}

export function offerOf (unit: UnitRecord, job: JobRecord): OfferMessage {
  return { type: 'offer', unitId: unit.unitId, jobId: job.id, requirements: job.requirements, steps: unit.endStep - unit.resume.step, atoms: job.atoms, priority: job.priority }
}

export class OfferAnnouncer {
  private readonly peer: MdswarmPeer
  private readonly queue: WorkQueue
  private readonly topic: string
  private readonly options: OfferAnnouncerOptions
  private timer: NodeJS.Timeout | null = null
  /** Offers gathered this turn, one per requirements set (first unit of each). */
  private readonly pending = new Map<string, OfferMessage>()
  private readonly onQueued = (unit: UnitRecord, job: JobRecord): void => {
    const key = JSON.stringify(job.requirements)
    if (this.pending.has(key)) return
    this.pending.set(key, offerOf(unit, job))
    if (this.pending.size === 1) setImmediate(() => { this.flush() })
  }

  constructor (peer: MdswarmPeer, queue: WorkQueue, network: string, options: OfferAnnouncerOptions) {
    this.peer = peer
    this.queue = queue
    this.topic = offersTopic(network)
    this.options = options
  }

  start (): void {
    this.queue.on('unit-queued', this.onQueued)
    this.timer = setInterval(() => { void this.announceTop() }, this.options.intervalMs)
    this.timer.unref()
  }

  stop (): void {
    this.queue.off('unit-queued', this.onQueued)
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  private flush (): void {
    const offers = [...this.pending.values()]
    this.pending.clear()
    for (const offer of offers) void this.publish(offer)
  }

  private async publish (offer: OfferMessage): Promise<void> {
    try {
      await publishGossip(this.peer, this.topic, offer)
    } catch (err) {
      log('offer %s not published: %s', offer.unitId, (err as Error).message)
    }
  }

  async announceTop (): Promise<void> {
    try {
      for (const unitId of await this.queue.queuedUnitIds(this.options.topUnits)) {
        const unit = await this.queue.store.getUnit(unitId)
        const job = unit === undefined ? undefined : await this.queue.store.getJob(unit.jobId)
        if (unit !== undefined && job !== undefined) await this.publish(offerOf(unit, job))
      }
    } catch (err) {
      log('re-announce failed: %s', (err as Error).message)
    }
  }
}
