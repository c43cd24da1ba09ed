/**
 * `mdswarm-node run --engine openmm`: the local run of commands/run.ts on a
 * local OpenMM (through the helper), with the same outputs: a DCD written
 * as OpenMM's DCDReporter writes it (molecules wrapped into the box by
 * OpenMM), a portable checkpoint that either engine can resume, ns/day.
 * Ctrl-C or SIGTERM asks the helper to stop after its current block, then
 * writes the checkpoint and exits with status 130.
 */
import { performance } from 'node:perf_hooks'
import { encodeCheckpoint } from '../../src/engine/checkpoint.ts'
import { OpenmmEngine, type OpenmmOptions } from '../../src/engine-openmm/openmm-engine.ts'
import { openRunTrajectory, writeFileAtomic } from './output-files.ts'
import { nanosecondsPerDay, printRunSummary, reportNothingToRun } from './run-summary.ts'
import { createStepProgressBar, interruptOnSignals } from './run-progress.ts'

export interface OpenmmRunRequest {
  readonly systemXml: string
  readonly integratorXml: string
  readonly pdb?: string
  readonly stateXml?: string
  readonly resumeBytes?: Uint8Array
  readonly seed?: number
  /** The step the run ends at (absolute). */
  readonly endStep: number
  /** The starting state's step (--steps counts from it). */
  readonly initialStep: number
  readonly reportEvery: number
  readonly outputPath: string
  readonly checkpointPath?: string
  readonly checkpointEveryS: number
  readonly openmm: OpenmmOptions
}

/** Exit status after an interrupted run (128 + SIGINT), as shells report it. */

export async function runWithOpenmm (request: OpenmmRunRequest): Promise<number> {
  const engine = await OpenmmEngine.start({
    systemXml: request.systemXml,
    integratorXml: request.integratorXml,
    pdb: request.pdb,
    stateXml: request.stateXml,
    checkpoint: request.resumeBytes,
    seed: request.seed,
  }, { ...request.openmm, wrapFrames: true })
  try {
    return await runEngine(engine, request)
  } finally {
    await engine.close()
  }
}

async function runEngine (engine: OpenmmEngine, request: OpenmmRunRequest): Promise<number> {
  const { reportEvery, outputPath, checkpointPath, endStep } = request
  if (request.resumeBytes !== undefined && reportNothingToRun(engine.step, endStep, request.initialStep)) return 0
  const stepsToRun = Math.max(0, endStep - engine.step)
  const stepSizePs = engine.stepSizePs
  const atomCount = engine.particleCount
  const hasUnitCell = engine.info.periodic
  const writer = openRunTrajectory(outputPath, { resuming: request.resumeBytes !== undefined, atomCount, hasUnitCell, reportEvery, stepSizePs, step: engine.step })

  const writeCheckpoint = async (): Promise<void> => {
    if (checkpointPath !== undefined) writeFileAtomic(checkpointPath, encodeCheckpoint(await engine.checkpoint()), 'checkpoint')
  }
  const interruption = interruptOnSignals()
  const bar = createStepProgressBar()

  const startStep = engine.step
  const startedAt = performance.now()
  let lastCheckpointAt = startedAt
  try {
    bar?.start(stepsToRun, 0, { nsPerDay: '-' })
    // One RUN to the end, paused only to write the periodic checkpoint (or stopped by Ctrl-C).
    while (engine.step < endStep && !interruption.signal.aborted) {
      const runStop = new AbortController()
      const forward = (): void => { runStop.abort(interruption.signal.reason) }
      interruption.signal.addEventListener('abort', forward, { once: true })
      try {
        await engine.run({
          steps: endStep - engine.step,
          reportEvery,
          signal: runStop.signal,
          onFrame: frame => { writer.writeFrame(frame.positionsNm, frame.box) },
          onProgress: () => {
            const done = engine.step - startStep
            bar?.update(done, { nsPerDay: nanosecondsPerDay(done, stepSizePs, performance.now() - startedAt).toFixed(2) })
            if (checkpointPath !== undefined && performance.now() - lastCheckpointAt >= request.checkpointEveryS * 1000) runStop.abort('checkpoint')
          },
        })
      } catch (err) {
        if (!runStop.signal.aborted) throw err
      } finally {
        interruption.signal.removeEventListener('abort', forward)
      }
      if (runStop.signal.aborted && !interruption.signal.aborted) {
        await writeCheckpoint()
        lastCheckpointAt = performance.now()
      }
    }
  } finally {
    bar?.stop()
    interruption.dispose()
    writer.close()
  }
  const stepsDone = engine.step - startStep
  const elapsedMs = performance.now() - startedAt
  await writeCheckpoint()

  return printRunSummary({
    stepsDone,
    stepSizePs,
    elapsedMs,
    engineLabel: ` on OpenMM ${engine.info.openmmVersion} (${engine.platform})`,
    finalStep: engine.step,
    endStep,
    frame: await engine.frame(),
    outputPath,
    framesWritten: writer.frameCount,
    checkpointPath,
    interruptedBy: interruption.signal.aborted ? interruption.signal.reason : undefined,
  })
}
