/**
 * Sends what the outbox holds to the coordinator, unit by unit and in frame
 * order: for each chunk first its checkpoint (blob put), then the chunk on
 * /mdswarm/frames/1; a chunk leaves the outbox only on its ack. When all
 * chunks of a finished unit are acknowledged it uploads the final
 * checkpoint and says `complete`; a failed unit is reported with `fail`.
 * After a reconnect or a restart it simply starts again from what the
 * outbox still holds.
 */
import { logger } from '@libp2p/logger'
import type { CoordinatorLink } from '../link/coordinator-link.ts'
import type { HeldUnit, HeldUnits } from '../held-units.ts'
import type { Outbox } from '../outbox/outbox.ts'
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
  }

  wake (): void { this.wakeSignal.wake() }

  private async loop (): Promise<void> {
    let failures = 0
    while (this.running) {
      await this.wakeSignal.sleep(failures > 0 ? backoffDelayMs(failures, 250, 5 * second) : UPLOAD_IDLE_INTERVAL_MS)
      if (!this.running) break
      if (!this.deps.link.connected) continue
      try {
        for (const held of this.deps.held.all()) {
          if (!this.running) break
          if (!held.abandoned) await this.drain(held)
        }
        failures = 0
      } catch (err) {
        failures += 1
        log('upload interrupted (%s: %s); retrying', (err as Error).name, (err as Error).message)
      }
    }
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
    for (const chunk of await outbox.pendingChunks(held.unitId, held.attempt)) {
      if (held.abandoned || !this.running) return
      const hash = chunk.message.checkpointHash
      if (chunk.checkpoint !== undefined && hash !== undefined && !this.storedCheckpoints.has(hash)) await this.putCheckpoint(chunk.checkpoint, held)
      const ack = await link.sendChunk(chunk.message)
      if (ack.type === 'ack') {
        await outbox.ackChunk(chunk.message)
        this.deps.onAcked?.(held, chunk.message.firstFrame, chunk.message.frameCount)
        continue
      }
      log('chunk %s@%d refused: %s (%s)', held.unitId, chunk.message.firstFrame, ack.code, ack.reason)
      await this.deps.abandon(held, `${ack.code}: ${ack.reason}`)
      this.deps.onReported(held, { kind: 'rejected', code: ack.code, reason: ack.reason })
      return
    }
    const record = await outbox.getUnit(held.unitId)
    if (record === undefined || held.abandoned) return
    if (record.phase === 'finished' && record.final !== undefined) {
      if ((await outbox.countPendingChunks(held.unitId, held.attempt)) > 0) return
      const checkpointHash = this.storedCheckpoints.has(record.final.checkpointHash) ? record.final.checkpointHash : await this.putCheckpoint(record.final.checkpoint, held)
      const frames = record.nextFrame - record.unit.firstFrameIndex
      const response = await link.claim({ type: 'complete', unitId: held.unitId, attempt: held.attempt, checkpointHash, frames: Math.max(0, frames) })
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

  private async forget (held: HeldUnit): Promise<void> {
    held.abandoned = true
    await this.deps.outbox.dropUnit(held.unitId)
    this.deps.held.delete(held.unitId)
  }
}
