/**
 * The closing lines of `mdswarm-node run`, for either engine: steps, wall
 * time and ns/day, final energies, where the output went, and how to resume
 * after an interruption. Returns the command's exit code.
 */
import type { Frame } from '../../src/engine/frame.ts'

/** Exit code of a run stopped by SIGINT/SIGTERM (128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130

export interface RunSummary {
  readonly stepsDone: number
  readonly stepSizePs: number
  readonly elapsedMs: number
  /** e.g. ' on OpenMM 7.7 (CPU)'; empty for the builtin engine. */
  readonly engineLabel: string
  readonly finalStep: number
  readonly endStep: number
  readonly frame: Frame
  readonly outputPath: string
  readonly framesWritten: number
  readonly checkpointPath: string | undefined
  /** The signal that stopped the run, if one did. */
  readonly interruptedBy: unknown
}

export function printRunSummary (summary: RunSummary): number {
  const { stepsDone, stepSizePs, elapsedMs, frame, checkpointPath } = summary
  const lines = [
    `Ran ${stepsDone} steps (${(stepsDone * stepSizePs).toFixed(3)} ps)${summary.engineLabel} in ${(elapsedMs / 1000).toFixed(2)} s: ` +
      `${stepsDone === 0 ? '-' : nanosecondsPerDay(stepsDone, stepSizePs, elapsedMs).toFixed(3)} ns/day`,
    `Step ${summary.finalStep}: potential energy ${frame.potentialEnergy.toFixed(3)} kJ/mol, ` +
      `kinetic energy ${frame.kineticEnergy.toFixed(3)} kJ/mol, temperature ${frame.temperatureK.toFixed(2)} K`,
    `Trajectory: ${summary.outputPath} (${summary.framesWritten} frames)` + (checkpointPath === undefined ? '' : `; checkpoint: ${checkpointPath}`),
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  if (summary.interruptedBy !== undefined) {
    process.stderr.write(`Interrupted (${String(summary.interruptedBy)}) at step ${summary.finalStep} of ${summary.endStep}. ` +
      (checkpointPath === undefined
        ? 'No --checkpoint was given, so this run cannot be resumed.\n'
        : `To continue, run the same command with --resume ${checkpointPath}\n`))
    return INTERRUPTED_EXIT_CODE
  }
  return 0
}

/** Simulated ns per wall-clock day. */
export function nanosecondsPerDay (steps: number, stepSizePs: number, elapsedMs: number): number {
  const simulatedNs = steps * stepSizePs / 1000
  return simulatedNs / (elapsedMs / 86_400_000)
}

/**
 * When a resumed run has nothing left to do (its checkpoint is at or past the
 * end step), prints why and returns true; the caller then ends without
 * touching the trajectory. `--steps` counts from the starting state.
 */
export function reportNothingToRun (checkpointStep: number, endStep: number, initialStep: number): boolean {
  if (checkpointStep < endStep) return false
  const where = checkpointStep === endStep
    ? `the checkpoint is at step ${checkpointStep}, the end of this run`
    : `the checkpoint is at step ${checkpointStep}, past this run's end step ${endStep}`
  process.stderr.write(`Nothing to run: ${where} (--steps counts from the starting state, step ${initialStep}, also with --resume). ` +
    `To extend the run, give --steps larger than ${checkpointStep - initialStep} with --resume.\n`)
  return true
}
