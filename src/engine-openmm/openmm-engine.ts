/**
 * The openmm engine: runs a trajectory segment on a local OpenMM (any
 * platform: CUDA, OpenCL, CPU, Reference) through the Python helper, with
 * the same shape as the builtin `Simulation`: start from the inputs (plus an
 * optional portable checkpoint and a seed), run steps reporting a Frame every
 * K, and hand out a portable Checkpoint, so a job can run one segment on a
 * builtin node and the next on an OpenMM GPU node, and back.
 *
 * @example
 * const engine = await OpenmmEngine.start({ systemXml, integratorXml, pdb, seed: 7 }, { platform: 'CUDA', properties: { CudaPrecision: 'mixed' } })
 * await engine.run({ steps: 5000, reportEvery: 500, onFrame: frame => frames.push(frame) })
 * const bytes = encodeCheckpoint(await engine.checkpoint())
 * await engine.close()
 */
import { decodeCheckpoint, type Checkpoint } from '../engine/checkpoint.ts'
import { CheckpointError, SimulationBlowUpError } from '../engine/errors.ts'
import type { Frame } from '../engine/frame.ts'
import type { RawMessage } from './protocol/codec.ts'
import {
  decodeCheckpointMessage, decodeFrame, decodeJson, decodeSteps, encodeBare, encodeInit, encodeRun, MessageType,
  type HelperErrorInfo, type ReadyInfo,
} from './protocol/messages.ts'
import type { HelperProcess } from './helper-process.ts'
import { HelperPool } from './helper-pool.ts'
import { findOpenmmPython } from './interpreter.ts'
import { OpenmmError, OpenmmInputError, OpenmmNotAvailableError, OpenmmProtocolError } from './errors.ts'

export interface OpenmmEngineInputs {
  readonly systemXml: string
  readonly integratorXml: string
  /** Starting positions (and box from CRYST1) when there is no State XML or checkpoint. */
  readonly pdb?: string
  readonly stateXml?: string
  /** Bytes from `encodeCheckpoint` (either engine's); they replace the inputs' positions, velocities, box, step and time. */
  readonly checkpoint?: Uint8Array
  /** Integrator random seed and seed of the starting velocities (default: the integrator's own randomSeed). */
  readonly seed?: number
}

export interface OpenmmOptions {
  /** The interpreter (default: discovery, see interpreter.ts). */
  readonly python?: string
  /** 'CUDA' | 'OpenCL' | 'CPU' | 'Reference'; default: the fastest that creates a context. */
  readonly platform?: string
  /** Platform properties: CudaPrecision, DeviceIndex, Threads, DeterministicForces, ... */
  readonly properties?: Readonly<Record<string, string>>
  /** Report frames with molecules wrapped into the box, as OpenMM's DCDReporter writes them (default false: as the builtin engine). */
  readonly wrapFrames?: boolean
  /** Extra environment for the helper process. */
  readonly env?: NodeJS.ProcessEnv
  /** Warm helpers to take the process from and give it back to on close (default: a fresh helper, ended on close). */
  readonly pool?: HelperPool
}

/** The pool of engines started without one: never keeps idle helpers. */
const NO_POOL = new HelperPool({ maxIdle: 0 })

export interface OpenmmRunOptions {
  /** Steps to run from the current step. */
  readonly steps: number
  /** A frame is reported whenever the absolute step is a multiple of this. */
  readonly reportEvery: number
  readonly onFrame?: (frame: Frame) => void
  /** Steps done in this run so far, after every block the helper runs (~0.1 s). */
  readonly onProgress?: (stepsDone: number) => void
  /** Aborting asks the helper to stop after its current block; `run` then throws the signal's reason. */
  readonly signal?: AbortSignal
}

export class OpenmmEngine {
  /** What the helper reported when its Context was created. */
  readonly info: ReadyInfo
  private readonly helper: HelperProcess
  private readonly pool: HelperPool
  private currentStep: number
  private currentTimePs: number
  private busy = false
  private closed = false

  private constructor (helper: HelperProcess, pool: HelperPool, info: ReadyInfo) {
    this.helper = helper
    this.pool = pool
    this.info = info
    this.currentStep = info.step
    this.currentTimePs = info.timePs
  }

  /**
   * Starts a helper and creates the OpenMM Context. Throws
   * OpenmmNotAvailableError (no interpreter with OpenMM), OpenmmError
   * (OpenMM refused: its message), OpenmmInputError, CheckpointError,
   * OpenmmHelperDiedError.
   */
  static async start (inputs: OpenmmEngineInputs, options: OpenmmOptions = {}): Promise<OpenmmEngine> {
    const checkpoint = inputs.checkpoint === undefined ? undefined : decodeCheckpoint(inputs.checkpoint)
    const python = findOpenmmPython({ python: options.python, env: options.env })
    const pool = options.pool ?? NO_POOL
    const helper = pool.acquire(python, { env: options.env })
    try {
      helper.send(encodeInit({
        platform: options.platform ?? null,
        properties: options.properties ?? {},
        seed: inputs.seed ?? null,
        wrapFrames: options.wrapFrames ?? false,
      }, { systemXml: inputs.systemXml, integratorXml: inputs.integratorXml, stateXml: inputs.stateXml, pdb: inputs.pdb, checkpoint }))
      const reply = await helper.next()
      throwIfError(reply, 'while creating the context')
      const info = decodeJson<ReadyInfo>(reply, MessageType.Ready, 'READY')
      if (checkpoint !== undefined && checkpoint.particleCount !== info.particleCount) {
        throw new CheckpointError(`The checkpoint is for ${checkpoint.particleCount} particles but the System has ${info.particleCount}; it belongs to another system.`)
      }
      return new OpenmmEngine(helper, pool, info)
    } catch (err) {
      helper.kill()
      await helper.exited
      throw err
    }
  }

  get step (): number {
    return this.currentStep
  }

  get timePs (): number {
    return this.currentTimePs
  }

  get particleCount (): number {
    return this.info.particleCount
  }

  get stepSizePs (): number {
    return this.info.stepSizePs
  }

  /** The platform OpenMM runs on. */
  get platform (): string {
    return this.info.platform
  }

  get pid (): number | undefined {
    return this.helper.pid
  }

  /** Runs `steps` steps, reporting frames at multiples of `reportEvery`; SimulationBlowUpError, OpenmmError or OpenmmHelperDiedError on failure. */
  async run (options: OpenmmRunOptions): Promise<void> {
    const { steps, reportEvery, onFrame, onProgress, signal } = options
    if (!Number.isSafeInteger(steps) || steps < 0) throw new RangeError(`steps must be a non-negative integer, got ${steps}`)
    if (!Number.isSafeInteger(reportEvery) || reportEvery < 1) throw new RangeError(`reportEvery must be a positive integer, got ${reportEvery}`)
    signal?.throwIfAborted()
    if (steps === 0) return
    const startStep = this.currentStep
    const stop = (): void => { this.helper.send(encodeBare(MessageType.Stop)) }
    signal?.addEventListener('abort', stop, { once: true })
    try {
      await this.exclusive(async () => {
        this.helper.send(encodeRun(steps, reportEvery))
        for (;;) {
          const message = await this.helper.next()
          throwIfError(message, 'while stepping')
          if (message.type === MessageType.Frame) {
            const frame = decodeFrame(message)
            this.currentStep = frame.step
            this.currentTimePs = frame.timePs
            onFrame?.(frame)
            onProgress?.(this.currentStep - startStep)
          } else if (message.type === MessageType.Progress) {
            this.currentStep = decodeSteps(message)[0]
            onProgress?.(this.currentStep - startStep)
          } else if (message.type === MessageType.RunDone) {
            const [step, timePs] = decodeSteps(message)
            this.currentStep = step
            this.currentTimePs = timePs
            return
          } else {
            throw new OpenmmProtocolError(`unexpected message type 0x${message.type.toString(16)} during a run`)
          }
        }
      })
    } finally {
      signal?.removeEventListener('abort', stop)
    }
    signal?.throwIfAborted()
  }

  /** The current portable state (OpenMM's random generator state is not portable: `rngState` is null). */
  async checkpoint (): Promise<Checkpoint> {
    return await this.exclusive(async () => {
      this.helper.send(encodeBare(MessageType.GetCheckpoint))
      const reply = await this.helper.next()
      throwIfError(reply, 'while reading the state')
      const checkpoint = decodeCheckpointMessage(reply)
      this.currentStep = checkpoint.step
      this.currentTimePs = checkpoint.timePs
      return checkpoint
    })
  }

  /** The current frame: positions (float32), box, energies and temperature. */
  async frame (): Promise<Frame> {
    return await this.exclusive(async () => {
      this.helper.send(encodeBare(MessageType.GetFrame))
      const reply = await this.helper.next()
      throwIfError(reply, 'while reading the state')
      return decodeFrame(reply)
    })
  }

  /** Gives the helper back to its pool, or ends it cleanly (QUIT, then SIGKILL after a grace period). */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.busy || !this.helper.healthy) {
      this.helper.kill()
      await this.helper.close()
      return
    }
    this.pool.release(this.helper)
    if (this.pool === NO_POOL) await this.helper.exited
  }

  /** Ends the helper at once, e.g. when a unit is cancelled; later calls fail with OpenmmHelperDiedError. */
  kill (): void {
    this.helper.kill()
  }

  private async exclusive<T> (body: () => Promise<T>): Promise<T> {
    if (this.busy) throw new Error('OpenmmEngine: one request at a time (await the previous run, checkpoint or frame)')
    this.busy = true
    try {
      return await body()
    } finally {
      this.busy = false
    }
  }
}

/** Turns an ERROR message into its typed error. */
function throwIfError (message: RawMessage, context: string): void {
  if (message.type !== MessageType.Error) return
  const error = decodeJson<HelperErrorInfo>(message, MessageType.Error, 'ERROR')
  switch (error.kind) {
    case 'blowup':
      throw new SimulationBlowUpError(error.step ?? -1, `OpenMM: ${error.message}`)
    case 'input':
      throw new OpenmmInputError(error.message)
    case 'checkpoint':
      throw new CheckpointError(`The checkpoint does not fit the System: ${error.message}.`)
    case 'unavailable':
      throw new OpenmmNotAvailableError(`The OpenMM helper cannot import OpenMM: ${error.message}`)
    default:
      throw new OpenmmError(error.message, error.errorType, context)
  }
}
