/**
 * Messages between the node's main thread and a unit worker thread.
 * The main thread posts `{ type: 'run', runId, input }` (one unit at a time
 * per worker); the worker posts `WorkerMessage`s back, each tagged with the
 * run's id, and waits for the next unit when this one has ended. Frames travel in batches, each closed by a portable
 * checkpoint at the last frame's step, so a batch is exactly one chunk.
 */
import type { Frame } from '../../src/engine/frame.ts'

/** The engine a unit runs on (engine-choice.ts decides); absent: builtin. */
export type UnitEngine =
  | { readonly name: 'builtin' }
  | {
    readonly name: 'openmm'
    /** Interpreter with OpenMM (default: discovery). */
    readonly python?: string
    /** OpenMM platform (default: the fastest that creates a context). */
    readonly platform?: string
    /** Platform properties, e.g. { CudaPrecision: 'mixed', DeviceIndex: '1' }. */
    readonly properties?: Readonly<Record<string, string>>
  }

export interface UnitWorkInput {
  readonly systemXml: string
  readonly integratorXml: string
  readonly pdb: string
  readonly stateXml?: string
  /** Encoded checkpoint (src/engine/checkpoint.ts) to start from; absent: start from the inputs at step 0. */
  readonly checkpoint?: Uint8Array
  readonly seed: number
  /** Absolute step the unit ends at (exclusive upper bound of [startStep, endStep)). */
  readonly endStep: number
  /** Frames are reported when the absolute step is a multiple of this. */
  readonly reportEvery: number
  /** Close a batch after this many frames ... */
  readonly maxFramesPerBatch: number
  /** ... or after this many ms of wall time since the last batch, whichever comes first. */
  readonly maxBatchMs: number
  /** The engine to run on (default builtin, in a worker thread; openmm runs in its helper process). */
  readonly engine?: UnitEngine
  /**
   * Names the exact inputs (the payload hashes): a warm worker keeps what it
   * read for a key and starts the next unit of the same system without
   * parsing the XML again. Absent: always read.
   */
  readonly inputKey?: string
}

export interface RunMessage {
  readonly type: 'run'
  readonly runId: number
  readonly input: UnitWorkInput
}

export type WorkerMessage = { readonly runId: number } & (
  | { readonly type: 'started', readonly step: number, readonly stepSizePs: number, readonly atomCount: number }
  /** Frames since the last batch and the checkpoint at `checkpointStep` (the last frame's step). */
  | { readonly type: 'batch', readonly frames: Frame[], readonly checkpoint: Uint8Array, readonly checkpointStep: number, readonly engineMs: number }
  /** The unit reached endStep; `checkpoint` is its final state. */
  | { readonly type: 'done', readonly checkpoint: Uint8Array, readonly step: number, readonly engineMs: number }
  /** The engine raised an error; its `name` and message are kept. */
  | { readonly type: 'failed', readonly errorName: string, readonly message: string }
)

/** A WorkerMessage before its run id is added. */
export type WorkerMessageBody = WorkerMessage extends infer M ? M extends { runId: number } ? Omit<M, 'runId'> : never : never
