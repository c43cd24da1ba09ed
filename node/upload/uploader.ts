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
 *
 * A refusal saying this node no longer holds the unit (its job was
 * cancelled, its lease lost or given to another attempt) gives the unit up
 * at once, through `abandon`: its worker stops, its outbox entries go, and
 * nothing of it is sent again. A refusal by a coordinator that still wants
 * the unit (a checkpoint it lacks, say) is retried a few times, the
 * checkpoint uploaded again, before the unit is given up (its lease then
 * lapses and the coordinator hands it out again from what it stored). Any
 * other failure (link down, timeout) is retried with a backoff of the
 * unit's own, so one unit's trouble neither hurries nor stalls another.
 */
import { logger } from '@libp2p/logger'
import type { CoordinatorLink } from '../link/coordinator-link.ts'
import type { HeldUnit, HeldUnits } from '../held-units.ts'
import type { Outbox } from '../outbox/outbox.ts'
import type { UnitRecord } from '../outbox/records.ts'
import { WakeSignal } from '../wake-signal.ts'
import { second } from '../../src/wire/constants.ts'
import type { ChunkAck, ClaimResponse } from '../../src/wire/messages.ts'
import { UnitBackoff } from './unit-backoff.ts'
import { UploadRefusedError } from './errors.ts'

const log = logger('mdswarm:node:uploader')

/** How often the uploader looks at the outbox without being woken, ms. */
export const UPLOAD_IDLE_INTERVAL_MS = 1 * second
/** Checkpoint hashes remembered as already stored by the coordinator. */
const MAX_REMEMBERED_CHECKPOINTS = 10_000
/** Refusals of one unit by a coordinator that still wants it, before the unit is given up. */
export const MAX_UPLOAD_REFUSALS_PER_UNIT = 3

/** Chunk nack codes that say this node's attempt no longer holds the unit. */
const HOLDER_LOST_CHUNK_CODES: ReadonlySet<Extract<ChunkAck, { type: 'nack' }>['code']> = new Set(['not-holder', 'stale-attempt', 'cancelled'])
/** Claim refusal codes (answering complete or fail) that say the same. */
const HOLDER_LOST_CLAIM_CODES: ReadonlySet<Extract<ClaimResponse, { type: 'refused' }>['code']> = new Set(['stale'])
/** Blob refusal codes (answering a checkpoint put) that say the same (coordinator/protocols/blob-handler.ts). */
const HOLDER_LOST_BLOB_CODES: ReadonlySet<string> = new Set(['not-holder'])

export type UnitReport =
  | { readonly kind: 'completed', readonly frames: number, readonly engineMs: number }
  | { readonly kind: 'failed', readonly errorName: string, readonly reason: string }

export interface UploaderDeps {
  readonly link: CoordinatorLink
  readonly outbox: Outbox
  readonly held: HeldUnits
  /** Gives a unit up: stops its worker, drops its outbox entries, forgets it, and says so (once). */
  readonly abandon: (held: HeldUnit, reason: string) => Promise<void>
  /** The coordinator accepted the unit's end (an attempt it no longer wants is given up through `abandon` instead). */
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
  /** Per-unit retry delays after failed uploads. */
  private readonly backoff: UnitBackoff
  private running = false
  private loopDone: Promise<void> = Promise.resolve()

  constructor (deps: UploaderDeps, backoff: UnitBackoff = new UnitBackoff({ initialMs: 250, maxMs: 5 * second })) {
    this.deps = deps
    this.backoff = backoff
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

  /**
   * News for one unit (a new chunk, its outcome): send what is new, once its
   * backoff (if any) is over. Without an ID (the link is back): every unit,
   * now, backoffs cut short.
   */
  wake (unitId?: string): void {
    if (unitId === undefined) {
      for (const held of this.deps.held.all()) this.dirty.add(held.unitId)
      this.backoff.allDue()
    } else {
      this.dirty.add(unitId)
    }
    this.wakeSignal.wake()
  }

  private async loop (): Promise<void> {
    while (this.running) {
      await this.wakeSignal.sleep(Math.min(UPLOAD_IDLE_INTERVAL_MS, this.backoff.msUntilNextDue() ?? UPLOAD_IDLE_INTERVAL_MS))
      if (!this.running) break
      if (!this.deps.link.connected) continue
      this.backoff.prune(unitId => this.deps.held.get(unitId)?.abandoned === false)
      const nowMs = performance.now()
      for (const held of this.deps.held.all()) {
        if (!held.abandoned && !this.draining.has(held.unitId) && this.backoff.isDue(held.unitId, nowMs)) this.startDrain(held)
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
        this.backoff.succeeded(held.unitId)
      } catch (err) {
        await this.onDrainError(held, err as Error)
      } finally {
        this.draining.delete(held.unitId)
        if (this.dirty.has(held.unitId) && !held.abandoned) this.wakeSignal.wake()
      }
    })()
    this.draining.set(held.unitId, drained)
  }

  /**
   * A drain failed: a unit this node no longer holds is given up (once); a
   * refusal by a coordinator that still wants the unit is retried a few
   * times, checkpoints uploaded again; anything else is retried after the
   * unit's own backoff.
   */
  private async onDrainError (held: HeldUnit, err: Error): Promise<void> {
    if (held.abandoned || !this.running) return
    if (err instanceof UploadRefusedError) {
      if (err.holderLost) {
        await this.giveUp(held, err)
        return
      }
      const refusals = this.backoff.refused(held.unitId)
      if (refusals >= MAX_UPLOAD_REFUSALS_PER_UNIT) {
        await this.giveUp(held, err)
        return
      }
      log('upload of %s refused (%s: %s); trying again (%d of %d)', held.unitId, err.code, err.reason, refusals, MAX_UPLOAD_REFUSALS_PER_UNIT)
    } else {
      const delayMs = this.backoff.failed(held.unitId)
      log('upload of %s interrupted (%s: %s); retrying in %d ms', held.unitId, err.name, err.message, delayMs)
    }
    // The loop sleeps until the earliest unit is due again.
    this.wakeSignal.wake()
  }

  /** Gives the unit up: `abandon` stops its worker, drops its outbox entries and says so, once. */
  private async giveUp (held: HeldUnit, refusal: UploadRefusedError): Promise<void> {
    this.dirty.delete(held.unitId)
    this.backoff.succeeded(held.unitId)
    try {
      await this.deps.abandon(held, refusal.holderLost
        ? `the coordinator no longer leases attempt ${held.attempt} to this node: the job was cancelled, or the lease ran out and the unit went to another node (${refusal.code})`
        : `${refusal.code}: ${refusal.reason}`)
    } catch (err) {
      log.error('giving up unit %s failed: %s', held.unitId, (err as Error).message)
    }
  }

  private async putCheckpoint (bytes: Uint8Array, held: HeldUnit): Promise<string> {
    const hash = await this.blobPut(bytes, held)
    if (this.storedCheckpoints.size >= MAX_REMEMBERED_CHECKPOINTS) this.storedCheckpoints.clear()
    this.storedCheckpoints.add(hash)
    return hash
  }

  /** Puts a checkpoint; a refusal becomes an UploadRefusedError. */
  private async blobPut (bytes: Uint8Array, held: HeldUnit): Promise<string> {
    try {
      return await this.deps.link.blobPut(bytes, held.unitId, held.attempt)
    } catch (err) {
      if ((err as Error).name !== 'BlobRefusedError') throw err
      const code = (err as Error & { code: string }).code
      throw new UploadRefusedError(held.unitId, 'checkpoint', code, (err as Error).message, HOLDER_LOST_BLOB_CODES.has(code))
    }
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
      // The coordinator may lack the checkpoint this node thought stored (bad-request): the next try sends it again.
      if (hash !== undefined) this.storedCheckpoints.delete(hash)
      throw new UploadRefusedError(held.unitId, `frames from ${chunk.message.firstFrame}`, ack.code, ack.reason, HOLDER_LOST_CHUNK_CODES.has(ack.code))
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
        this.storedCheckpoints.delete(checkpointHash)
        throw new UploadRefusedError(held.unitId, 'end', response.code, response.reason, HOLDER_LOST_CLAIM_CODES.has(response.code))
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
