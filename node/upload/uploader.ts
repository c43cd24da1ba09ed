/**
 * Sends what the outbox holds to the coordinator, each unit in frame order
 * and several units at once (their requests are pipelined on the link's
 * long-lived streams): for each chunk first its checkpoint (blob put) if it
 * carries one, then the chunk on /mdswarm/frames/1; a chunk leaves the outbox
 * only on its ack. A finished unit's last chunk carries its end (`complete`,
 * after the final checkpoint is uploaded unless the unit ends its job, so no
 * later unit starts from it): one message and one coordinator write for
 * both. Should the coordinator store the chunk but not the end, or the last
 * chunk have been acknowledged before the unit's outcome was known, the
 * uploader says `complete` on its own; a failed unit is reported with
 * `fail`. After a reconnect or a restart it simply starts again from what
 * the outbox still holds.
 */
import { logger } from '@libp2p/logger'
import type { CoordinatorLink } from '../link/coordinator-link.ts'
import type { HeldUnit, HeldUnits } from '../held-units.ts'
import type { Outbox } from '../outbox/outbox.ts'
import type { UnitRecord } from '../outbox/records.ts'
import { WakeSignal } from '../wake-signal.ts'
import { backoffDelayMs } from '../link/backoff.ts'
import { second } from '../../src/wire/constants.ts'

const log = logger('mdswarm:node:uploader')

/** How often the uploader looks at the outbox without being woken, ms. */
export const UPLOAD_IDLE_INTERVAL_MS = 1 * second
/** Checkpoint hashes remembered as already stored by the coordinator. */
const MAX_REMEMBERED_CHECKPOINTS = 10_000

export type UnitReport =
  | { readonly kind: 'completed', readonly frames: number, readonly engineMs: number }
  | { readonly kind: 'failed', readonly errorName: string, readonly reason: string }
  /** The coordinator no longer wants this attempt (lease lost, cancelled, refused). */
  | { readonly kind: 'rejected', readonly code: string, readonly reason: string }

export interface UploaderDeps {
  readonly link: CoordinatorLink
  readonly outbox: Outbox
  readonly held: HeldUnits
  /** Gives a unit up: stops its worker and forgets it. */
  readonly abandon: (held: HeldUnit, reason: string) => Promise<void>
  /** The coordinator accepted the unit's end (or rejected the attempt). */
  readonly onReported: (held: HeldUnit, report: UnitReport) => void
  /** A chunk was acknowledged (durably stored by the coordinator). */
  readonly onAcked?: (held: HeldUnit, firstFrame: number, frameCount: number) => void
}

export class Uploader {
  private readonly deps: UploaderDeps
  private readonly wakeSignal = new WakeSignal()
  private readonly storedCheckpoints = new Set<string>()
  /** Units with a drain under way. */
  private readonly draining = new Map<string, Promise<void>>()
  /** Units with news (a chunk, an outcome) since their drain began. */
  private readonly dirty = new Set<string>()
  private failures = 0
  private running = false
  private loopDone: Promise<void> = Promise.resolve()

  constructor (deps: UploaderDeps) {
    this.deps = deps
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
    await Promise.allSettled([...this.draining.values()])
  }

  /** News for one unit (or, without an ID, for all): send what is new. */
  wake (unitId?: string): void {
    if (unitId === undefined) for (const held of this.deps.held.all()) this.dirty.add(held.unitId)
    else this.dirty.add(unitId)
    this.wakeSignal.wake()
  }

  private async loop (): Promise<void> {
    while (this.running) {
      await this.wakeSignal.sleep(this.failures > 0 ? backoffDelayMs(this.failures, 250, 5 * second) : UPLOAD_IDLE_INTERVAL_MS)
      if (!this.running) break
      if (!this.deps.link.connected) continue
      for (const held of this.deps.held.all()) {
        if (!held.abandoned && !this.draining.has(held.unitId)) this.startDrain(held)
      }
    }
  }

  /** Drains one unit, again while news for it arrived during the drain. */
  private startDrain (held: HeldUnit): void {
    this.dirty.delete(held.unitId)
    const drained = (async () => {
      try {
        do {
          this.dirty.delete(held.unitId)
          await this.drain(held)
        } while (this.running && !held.abandoned && this.dirty.has(held.unitId) && this.deps.link.connected)
        this.failures = 0
      } catch (err) {
        this.failures += 1
        log('upload of %s interrupted (%s: %s); retrying', held.unitId, (err as Error).name, (err as Error).message)
        this.wakeSignal.wake()
      } finally {
        this.draining.delete(held.unitId)
        if (this.dirty.has(held.unitId) && !held.abandoned) this.wakeSignal.wake()
      }
    })()
    this.draining.set(held.unitId, drained)
  }

  private async putCheckpoint (bytes: Uint8Array, held: HeldUnit): Promise<string> {
    const hash = await this.deps.link.blobPut(bytes, held.unitId, held.attempt)
    if (this.storedCheckpoints.size >= MAX_REMEMBERED_CHECKPOINTS) this.storedCheckpoints.clear()
    this.storedCheckpoints.add(hash)
    return hash
  }

  /** Sends the unit's pending chunks, then reports its end if it has one. */
  private async drain (held: HeldUnit): Promise<void> {
    const { outbox, link } = this.deps
    // The record first: once it says finished or failed, every chunk of the unit is in the outbox.
    const before = await outbox.getUnit(held.unitId)
    if (before === undefined || held.abandoned) return
    const finished = before.phase === 'finished' && before.final !== undefined ? before.final : undefined
    const frames = Math.max(0, before.nextFrame - before.unit.firstFrameIndex)
    for (const chunk of await outbox.pendingChunks(held.unitId, held.attempt)) {
      if (held.abandoned || !this.running) return
      const hash = chunk.message.checkpointHash
      if (chunk.checkpoint !== undefined && hash !== undefined && !this.storedCheckpoints.has(hash)) await this.putCheckpoint(chunk.checkpoint, held)
      // The unit's last chunk carries its end (`complete`), so both are stored in one write (the node
      // stores that chunk together with the unit's outcome, so it is here once the unit is finished).
      const endsUnit = finished !== undefined && chunk.message.firstFrame + chunk.message.frameCount >= before.nextFrame
      const message = endsUnit ? { ...chunk.message, complete: { checkpointHash: await this.finalCheckpointHash(before, finished, held), frames } } : chunk.message
      const ack = await link.sendChunk(message)
      if (ack.type === 'ack') {
        this.deps.onAcked?.(held, chunk.message.firstFrame, chunk.message.frameCount)
        if (ack.completed === true) {
          await this.forget(held)
          this.deps.onReported(held, { kind: 'completed', frames, engineMs: before.engineMs })
          return
        }
        if (ack.completeRefused !== undefined) log('unit %s: its end was not taken with its last chunk (%s); completing on its own', held.unitId, ack.completeRefused)
        await outbox.ackChunk(chunk.message)
        continue
      }
      log('chunk %s@%d refused: %s (%s)', held.unitId, chunk.message.firstFrame, ack.code, ack.reason)
      await this.deps.abandon(held, `${ack.code}: ${ack.reason}`)
      this.deps.onReported(held, { kind: 'rejected', code: ack.code, reason: ack.reason })
      return
    }
    const record = before
    if (held.abandoned) return
    if (record.phase === 'finished' && record.final !== undefined) {
      const checkpointHash = await this.finalCheckpointHash(record, record.final, held)
      const response = await link.claim({ type: 'complete', unitId: held.unitId, attempt: held.attempt, checkpointHash, frames })
      if (response.type === 'ok') {
        await this.forget(held)
        this.deps.onReported(held, { kind: 'completed', frames, engineMs: record.engineMs })
      } else if (response.type === 'refused') {
        log('complete of %s refused: %s (%s)', held.unitId, response.code, response.reason)
        await this.deps.abandon(held, `${response.code}: ${response.reason}`)
        this.deps.onReported(held, { kind: 'rejected', code: response.code, reason: response.reason })
      }
    } else if (record.phase === 'failed' && record.failure !== undefined) {
      const { errorName, reason, retryable } = record.failure
      const response = await link.claim({ type: 'fail', unitId: held.unitId, attempt: held.attempt, reason, errorName, retryable })
      if (response.type === 'ok' || response.type === 'refused') {
        await this.forget(held)
        this.deps.onReported(held, { kind: 'failed', errorName, reason })
      }
    }
  }

  /** The unit's final checkpoint hash, uploaded first unless the unit ends its job (no later unit starts from it) or it is stored already. */
  private async finalCheckpointHash (record: UnitRecord, final: NonNullable<UnitRecord['final']>, held: HeldUnit): Promise<string> {
    const needsUpload = record.unit.lastSegment !== true && !this.storedCheckpoints.has(final.checkpointHash)
    return needsUpload ? await this.putCheckpoint(final.checkpoint, held) : final.checkpointHash
  }

  private async forget (held: HeldUnit): Promise<void> {
    held.abandoned = true
    this.dirty.delete(held.unitId)
    await this.deps.outbox.dropUnit(held.unitId)
    this.deps.held.delete(held.unitId)
  }
}
