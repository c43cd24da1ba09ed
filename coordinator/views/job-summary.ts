/** Store records → the public shapes of the control protocol (and `--json`). */
import type { EventRecord, JobRecord, UnitRecord } from '../store/records.ts'
import type { JobEvent, JobSummary, UnitSummary } from '../../src/client/control-messages.ts'

/** Steps done: the stored frames, or further if a running unit's holder reported more. */
function stepsDone (job: JobRecord, units: readonly UnitRecord[]): number {
  if (job.state === 'done') return job.steps
  let done = Math.min(job.steps, job.framesStored * job.reportEvery)
  for (const unit of units) {
    if (unit.state === 'done') done = Math.max(done, unit.endStep)
    if (unit.lease !== null) done = Math.max(done, unit.lease.step)
  }
  return done
}

export function toJobSummary (job: JobRecord, units: readonly UnitRecord[] = [], waitingReason?: string): JobSummary {
  const runningOn = units.filter((u) => u.state === 'leased' && u.lease !== null).map((u) => u.lease!.peerId)
  return {
    id: job.id,
    name: job.name,
    batchId: job.batchId,
    state: job.state,
    priority: job.priority,
    seed: job.seed,
    steps: job.steps,
    reportEvery: job.reportEvery,
    segmentSteps: job.segmentSteps,
    segments: job.segmentCount,
    currentSegment: job.currentSegment,
    totalFrames: job.totalFrames,
    framesStored: job.framesStored,
    stepsDone: stepsDone(job, units),
    stepSizePs: job.stepSizePs,
    atoms: job.atoms,
    requirements: job.requirements,
    runningOn,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.finishedAt !== undefined ? { finishedAt: job.finishedAt } : {}),
    ...(job.failure !== undefined ? { failure: job.failure } : {}),
    ...(job.cancelReason !== undefined ? { cancelReason: job.cancelReason } : {}),
    ...(waitingReason !== undefined ? { waitingReason } : {}),
  }
}

export function toUnitSummary (unit: UnitRecord): UnitSummary {
  return {
    unitId: unit.unitId,
    segmentIndex: unit.segmentIndex,
    state: unit.state,
    startStep: unit.startStep,
    endStep: unit.endStep,
    firstFrame: unit.firstFrame,
    endFrame: unit.endFrame,
    nextFrame: unit.nextFrame,
    attempts: unit.attempts,
    failures: unit.failures,
    resumeStep: unit.resume.step,
    ...(unit.lease !== null ? { lease: { peerId: unit.lease.peerId, attempt: unit.lease.attempt, expiresAt: unit.lease.expiresAt, step: unit.lease.step } } : {}),
    ...(unit.lastError !== undefined ? { lastError: unit.lastError } : {}),
  }
}

export function toJobEvent (event: EventRecord): JobEvent {
  return {
    at: event.at,
    kind: event.kind,
    message: event.message,
    ...(event.unitId !== undefined ? { unitId: event.unitId } : {}),
    ...(event.peerId !== undefined ? { peerId: event.peerId } : {}),
  }
}
