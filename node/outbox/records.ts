/**
 * What the node keeps durable about its work, in its own LevelDB
 * (`<home>/node-db`): one record per unit it holds a lease on, and the
 * encoded chunks that the coordinator has not acknowledged yet.
 */
import type { ChunkMessage, UnitSpec } from '../../src/wire/messages.ts'

/** running: the engine is (or should be) producing frames; finished: all frames made, final checkpoint kept; failed: the engine gave up. */
export type UnitPhase = 'running' | 'finished' | 'failed'

export interface UnitRecord {
  /** Coordinator peer ID that leased the unit. */
  readonly coordinatorPeerId: string
  readonly unit: UnitSpec
  readonly attempt: number
  readonly phase: UnitPhase
  /** Latest local checkpoint (encoded), the point a restarted node resumes from. */
  readonly resumeCheckpoint?: Uint8Array
  readonly resumeStep?: number
  /** Job frame index of the next frame this unit will produce. */
  readonly nextFrame: number
  /** Engine compute time spent on this unit so far, ms. */
  readonly engineMs: number
  /** Set when phase is 'finished'. */
  readonly final?: { readonly checkpoint: Uint8Array, readonly checkpointHash: string, readonly step: number }
  /** Set when phase is 'failed'. */
  readonly failure?: { readonly errorName: string, readonly reason: string, readonly retryable: boolean }
}

/** A chunk ready to send, with the checkpoint bytes its `checkpointHash` names (blob-put before the chunk). */
export interface OutboxChunk {
  readonly message: ChunkMessage
  readonly checkpoint?: Uint8Array
}
