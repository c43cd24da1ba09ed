/**
 * Cutting a job into work units of `segmentSteps` steps. Frame i of a job is
 * the one reported after step (i+1)·reportEvery, so the frames of steps
 * (a, b] are indices floor(a/R) … floor(b/R)-1.
 */
import { InvalidJobSpecError } from './errors.ts'

export interface Segment {
  readonly segmentIndex: number
  readonly startStep: number
  /** Exclusive. */
  readonly endStep: number
  readonly firstFrame: number
  /** Exclusive. */
  readonly endFrame: number
}

/** Index of the first frame reported after `step`. */
export function frameIndexAfterStep (step: number, reportEvery: number): number {
  return Math.floor(step / reportEvery)
}

export function segmentCount (steps: number, segmentSteps: number): number {
  return Math.ceil(steps / segmentSteps)
}

/** Segment `index` of a job (the last one may be shorter). */
export function segmentOf (index: number, steps: number, segmentSteps: number, reportEvery: number): Segment {
  const startStep = index * segmentSteps
  const endStep = Math.min(steps, startStep + segmentSteps)
  return {
    segmentIndex: index,
    startStep,
    endStep,
    firstFrame: frameIndexAfterStep(startStep, reportEvery),
    endFrame: frameIndexAfterStep(endStep, reportEvery),
  }
}

/** Checks the numbers of a job; throws InvalidJobSpecError with a clear message. */
export function validatePlan (steps: number, reportEvery: number, segmentSteps: number): void {
  if (!Number.isSafeInteger(steps) || steps <= 0) throw new InvalidJobSpecError(`--steps must be a positive whole number, got ${steps}.`)
  if (!Number.isSafeInteger(reportEvery) || reportEvery <= 0) throw new InvalidJobSpecError(`--report-every must be a positive whole number of steps, got ${reportEvery}.`)
  if (reportEvery > steps) throw new InvalidJobSpecError(`--report-every (${reportEvery}) is larger than --steps (${steps}): the job would report no frames.`)
  if (!Number.isSafeInteger(segmentSteps) || segmentSteps <= 0) throw new InvalidJobSpecError(`--segment-steps must be a positive whole number of steps, got ${segmentSteps}.`)
  if (segmentCount(steps, segmentSteps) > 1_000_000) throw new InvalidJobSpecError(`--segment-steps ${segmentSteps} cuts ${steps} steps into more than a million units; use longer segments.`)
}
