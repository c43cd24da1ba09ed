/**
 * Runs one work unit off the main thread: one worker_thread per unit, so the
 * daemon's heartbeats, lease renewals and uploads never starve while the
 * engine computes.
 *
 * @example
 * const outcome = await runUnit(input, { signal, onBatch: async b => outbox.add(b) })
 * if (outcome.status === 'failed') console.log(outcome.errorName, outcome.reason)
 */
import type { Frame } from '../../src/engine/frame.ts'
import type { RunMessage, UnitWorkInput, WorkerMessage } from './protocol.ts'
import { WorkerCrashedError } from './errors.ts'
import { WorkerPool } from './worker-pool.ts'
import { runOpenmmUnit } from './openmm-unit-runner.ts'
import type { HelperPool } from '../../src/engine-openmm/helper-pool.ts'

export type { UnitWorkInput } from './protocol.ts'

let nextRunId = 1

/** Frames closed by the checkpoint at `checkpointStep` (the last frame's step). */
export interface FrameBatch {
  readonly frames: Frame[]
  readonly checkpoint: Uint8Array
  readonly checkpointStep: number
  /** Engine compute time spent producing these frames, ms. */
  readonly engineMs: number
}

export interface RunUnitOptions {
  /** Aborting terminates the worker at once; the outcome is `aborted`. */
  readonly signal?: AbortSignal
  /** Called in order, one batch at a time; the next waits until the previous promise settles. */
  readonly onBatch: (batch: FrameBatch) => Promise<void> | void
  readonly onStarted?: (info: { step: number, stepSizePs: number, atomCount: number }) => void
  /** Warm workers to take the thread from (and give it back to); default: a fresh thread, ended afterwards. */
  readonly pool?: WorkerPool
  /** Heap limit of a fresh worker, MiB (a unit over it fails with WorkerCrashedError instead of taking the daemon down). */
  readonly maxHeapMb?: number
  /** Warm OpenMM helpers for openmm units (default: one pool per process). */
  readonly openmmPool?: HelperPool
  /**
   * The engine has finished (done or failed) and its worker is back in the
   * pool, before the last batches are stored and the outcome resolves: a
   * caller may start its next unit now.
   */
  readonly onEngineDone?: () => void
}

export type UnitOutcome =
  | { readonly status: 'completed', readonly checkpoint: Uint8Array, readonly step: number, readonly engineMs: number }
  /** An engine error (its class name and message) or a worker crash (`WorkerCrashedError`, with exit status). */
  | { readonly status: 'failed', readonly errorName: string, readonly reason: string, readonly retryable: boolean, readonly exitCode?: number }
  | { readonly status: 'aborted' }

/** Engine errors caused by the inputs themselves: running them elsewhere gives the same answer. */
const INPUT_ERRORS = new Set([
  'XmlParseError', 'InvalidSystemError', 'UnsupportedForceError', 'UnsupportedIntegratorError',
  'InvalidIntegratorError', 'PdbParseError', 'ParticleCountMismatchError', 'InvalidCoordinatesError',
  'InvalidBoxError', 'CheckpointError', 'OpenmmInputError'
])

export function isRetryableEngineError (errorName: string): boolean {
  return !INPUT_ERRORS.has(errorName)
}

export async function runUnit (input: UnitWorkInput, options: RunUnitOptions): Promise<UnitOutcome> {
  if (options.signal?.aborted === true) return { status: 'aborted' }
  // OpenMM computes in its own helper process: no worker thread needed.
  if (input.engine?.name === 'openmm') return await runOpenmmUnit(input, input.engine, options, isRetryableEngineError)
  const pool = options.pool ?? new WorkerPool({ maxIdle: 0, maxHeapMb: options.maxHeapMb })
  const worker = pool.acquire()
  worker.ref()
  const runId = nextRunId++

  return await new Promise<UnitOutcome>((resolve) => {
    let settled = false
    let detached = false
    let chain: Promise<void> = Promise.resolve()
    let batchError: unknown
    let totalEngineMs = 0
    let workerError: Error | undefined

    /** Lets the worker go: back to the pool once its engine run is over, else ended. */
    const detach = (reusable: boolean): void => {
      if (detached) return
      detached = true
      options.signal?.removeEventListener('abort', onAbort)
      worker.off('message', onMessage)
      worker.off('error', onError)
      worker.off('exit', onExit)
      if (reusable) pool.release(worker)
      else void worker.terminate()
    }
    const finish = (outcome: UnitOutcome, reusable = false): void => {
      if (settled) return
      settled = true
      detach(reusable)
      resolve(outcome)
    }
    /** The worker posted its last message (messages arrive in order): it may serve the next unit while the batches drain. */
    const engineDone = (): void => {
      detach(true)
      options.onEngineDone?.()
    }
    const onAbort = (): void => { finish({ status: 'aborted' }) }
    options.signal?.addEventListener('abort', onAbort, { once: true })

    const onMessage = (message: WorkerMessage): void => {
      if (message.runId !== runId) return
      switch (message.type) {
        case 'started':
          options.onStarted?.({ step: message.step, stepSizePs: message.stepSizePs, atomCount: message.atomCount })
          break
        case 'batch':
          totalEngineMs += message.engineMs
          chain = chain.then(async () => {
            if (settled || batchError !== undefined) return
            await options.onBatch({ frames: message.frames, checkpoint: message.checkpoint, checkpointStep: message.checkpointStep, engineMs: message.engineMs })
          }).catch(err => { batchError = err })
          break
        case 'done':
          totalEngineMs += message.engineMs
          engineDone()
          void chain.then(() => {
            if (batchError !== undefined) {
              const e = batchError instanceof Error ? batchError : new Error(String(batchError))
              finish({ status: 'failed', errorName: e.name, reason: `storing frames failed: ${e.message}`, retryable: true })
            } else {
              finish({ status: 'completed', checkpoint: message.checkpoint, step: message.step, engineMs: totalEngineMs }, true)
            }
          })
          break
        case 'failed':
          engineDone()
          void chain.then(() => {
            finish({ status: 'failed', errorName: message.errorName, reason: message.message, retryable: isRetryableEngineError(message.errorName) }, true)
          })
          break
      }
    }
    const onError = (err: Error): void => { workerError = err }
    const onExit = (exitCode: number): void => {
      if (settled) return
      // A clean exit after 'done'/'failed' is handled above once the batch chain drains.
      void chain.then(() => {
        if (settled) return
        const crash = new WorkerCrashedError(exitCode, workerError?.message)
        finish({ status: 'failed', errorName: crash.name, reason: crash.message, retryable: true, exitCode })
      })
    }
    worker.on('message', onMessage)
    worker.on('error', onError)
    worker.on('exit', onExit)
    const run: RunMessage = { type: 'run', runId, input }
    worker.postMessage(run)
  })
}
