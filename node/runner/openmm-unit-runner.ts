/**
 * Runs one work unit on the openmm engine. The computing happens in the
 * OpenMM helper process, so this runs on the daemon's main thread and only
 * decodes frames: heartbeats never starve. Frames are batched exactly as the
 * builtin worker batches them (each batch closed by a portable checkpoint at
 * its last frame). Cancelling kills the helper at once; a helper that dies
 * fails the unit with its exit status.
 */
import { encodeCheckpoint } from '../../src/engine/checkpoint.ts'
import type { Frame } from '../../src/engine/frame.ts'
import { OpenmmEngine } from '../../src/engine-openmm/openmm-engine.ts'
import { OpenmmHelperDiedError } from '../../src/engine-openmm/errors.ts'
import { HelperPool } from '../../src/engine-openmm/helper-pool.ts'
import type { UnitWorkInput } from './protocol.ts'
import type { RunUnitOptions, UnitOutcome } from './unit-runner.ts'

/** Helpers kept warm between the units of this process (Python + OpenMM import take about a second). */
export const sharedHelperPool = new HelperPool({ maxIdle: 4 })

type OpenmmUnitEngine = Extract<NonNullable<UnitWorkInput['engine']>, { name: 'openmm' }>

export async function runOpenmmUnit (input: UnitWorkInput, engineSpec: OpenmmUnitEngine, options: RunUnitOptions, isRetryable: (errorName: string) => boolean): Promise<UnitOutcome> {
  const signal = options.signal
  const aborted = (): boolean => signal?.aborted === true
  if (aborted()) return { status: 'aborted' }
  let engine: OpenmmEngine | null = null
  const onAbort = (): void => { engine?.kill() }
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    engine = await OpenmmEngine.start({
      systemXml: input.systemXml,
      integratorXml: input.integratorXml,
      pdb: input.pdb,
      stateXml: input.stateXml,
      checkpoint: input.checkpoint,
      seed: input.seed,
    }, { python: engineSpec.python, platform: engineSpec.platform, properties: engineSpec.properties, pool: options.openmmPool ?? sharedHelperPool })
    if (aborted()) return { status: 'aborted' }
    options.onStarted?.({ step: engine.step, stepSizePs: engine.stepSizePs, atomCount: engine.particleCount })

    let pending: Frame[] = []
    let engineMs = 0
    let totalEngineMs = 0
    let lastBatchAt = performance.now()
    // Batches are handed over in order; the next waits for the previous one (as the builtin runner does).
    let chain: Promise<void> = Promise.resolve()
    let batchError: unknown
    const current = engine
    const flush = async (): Promise<void> => {
      const frames = pending
      pending = []
      const checkpoint = encodeCheckpoint(await current.checkpoint())
      const batch = { frames, checkpoint, checkpointStep: current.step, engineMs }
      engineMs = 0
      lastBatchAt = performance.now()
      chain = chain.then(async () => {
        if (batchError === undefined) await options.onBatch(batch)
      }).catch(err => { batchError = err })
    }

    // One RUN per batch: to the frame that fills it, or stopped at an earlier frame once maxBatchMs has passed.
    while (engine.step < input.endStep) {
      const toNextFrame = input.reportEvery - (engine.step % input.reportEvery)
      const framesLeft = Math.max(1, input.maxFramesPerBatch - pending.length)
      const steps = Math.min(toNextFrame + (framesLeft - 1) * input.reportEvery, input.endStep - engine.step)
      const batchDue = new AbortController()
      const t0 = performance.now()
      try {
        await engine.run({
          steps,
          reportEvery: input.reportEvery,
          signal: batchDue.signal,
          onFrame: frame => {
            pending.push(frame)
            if (performance.now() - lastBatchAt >= input.maxBatchMs) batchDue.abort('batch due')
          },
        })
      } catch (err) {
        if (!batchDue.signal.aborted) throw err
      }
      const ms = performance.now() - t0
      engineMs += ms
      totalEngineMs += ms
      if (batchError !== undefined || aborted()) break
      if (pending.length === 0) continue
      if (pending.length >= input.maxFramesPerBatch || performance.now() - lastBatchAt >= input.maxBatchMs || engine.step >= input.endStep) await flush()
    }
    const final = encodeCheckpoint(await engine.checkpoint())
    const step = engine.step
    await chain
    if (batchError !== undefined) {
      const e = batchError instanceof Error ? batchError : new Error(String(batchError))
      return { status: 'failed', errorName: e.name, reason: `storing frames failed: ${e.message}`, retryable: true }
    }
    if (aborted()) return { status: 'aborted' }
    return { status: 'completed', checkpoint: final, step, engineMs: totalEngineMs }
  } catch (err) {
    if (aborted()) return { status: 'aborted' }
    const e = err instanceof Error ? err : new Error(String(err))
    if (e instanceof OpenmmHelperDiedError) {
      return { status: 'failed', errorName: e.name, reason: e.message, retryable: true, ...(e.exitCode !== null ? { exitCode: e.exitCode } : {}) }
    }
    return { status: 'failed', errorName: e.name, reason: e.message, retryable: isRetryable(e.name) }
  } finally {
    signal?.removeEventListener('abort', onAbort)
    if (engine !== null) await engine.close()
  }
}
