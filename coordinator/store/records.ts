/**
 * The durable records of a coordinator, as stored (JSON) in its LevelDB.
 * Times are ms since the Unix epoch; steps and frame indices are counted from
 * the job's start (frame i is the one reported after step (i+1)*reportEvery).
 */
import type { Requirements } from '../../src/wire/messages.ts'

/** A job's life: closed set. `running` once any unit was leased. */
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled'

/** A work unit's life: closed set. queued → leased → done | failed; leased → queued on expiry; * → cancelled. */
export type UnitState = 'queued' | 'leased' | 'done' | 'failed' | 'cancelled'

export const TERMINAL_JOB_STATES: ReadonlySet<JobState> = new Set(['done', 'failed', 'cancelled'])
export const TERMINAL_UNIT_STATES: ReadonlySet<UnitState> = new Set(['done', 'failed', 'cancelled'])

/** Content hashes (sha256 hex) of a job's input payloads in the blob store. */
export interface JobPayload {
  readonly systemHash: string
  readonly integratorHash: string
  readonly pdbHash: string
  readonly stateHash?: string
}

/** Why a job or unit failed: the engine's error, as the node reported it. */
export interface FailureRecord {
  readonly reason: string
  readonly errorName: string
  readonly unitId?: string
  readonly peerId?: string
  readonly attempt?: number
  readonly at: number
}

export interface JobRecord {
  readonly id: string
  readonly name: string
  /** Jobs submitted together (replicas of one submit) share a batch id. */
  readonly batchId: string
  readonly replicaIndex: number
  readonly submittedBy: string
  readonly createdAt: number
  readonly priority: number
  readonly seed: number
  readonly steps: number
  readonly reportEvery: number
  readonly segmentSteps: number
  readonly segmentCount: number
  /** Frames the finished job holds: floor(steps / reportEvery). */
  readonly totalFrames: number
  /** ps, from the Integrator XML (0 if unknown); for ns/day and simulated time. */
  readonly stepSizePs: number
  readonly atoms: number
  readonly payload: JobPayload
  readonly requirements: Requirements
  /** Atom indices kept in the trajectory (absent: all). */
  readonly keepAtoms?: readonly number[]
  /** Trajectory coordinate precision, nm (absent: the codec's default 0.001). */
  readonly precisionNm?: number
  /** Trajectory chunks keep float32 positions bit for bit. */
  readonly lossless?: boolean
  /** Failures of one unit after which the job fails. */
  readonly maxAttempts: number
  readonly state: JobState
  /** Contiguous frames stored, from frame 0. */
  readonly framesStored: number
  /** Index of the segment now queued or running (segmentCount when done). */
  readonly currentSegment: number
  readonly updatedAt: number
  readonly finishedAt?: number
  readonly failure?: FailureRecord
  readonly cancelReason?: string
}

export interface LeaseRecord {
  readonly peerId: string
  readonly attempt: number
  readonly grantedAt: number
  readonly expiresAt: number
  /** Last step the holder reported in a renewal. */
  readonly step: number
  /** The unit's resume step when the lease was granted (progress since shows in `resume.step`). */
  readonly fromStep?: number
}

/** Where a unit restarts after losing its lease: the last durable checkpoint. */
export interface ResumePoint {
  /** Absolute step of the checkpoint (the unit's startStep before any checkpoint). */
  readonly step: number
  /** Checkpoint blob; absent for segment 0 before any checkpoint (start from the inputs). */
  readonly checkpointHash?: string
  /** Absolute index of the first frame produced after `step`. */
  readonly frame: number
}

export interface UnitRecord {
  readonly unitId: string
  readonly jobId: string
  readonly segmentIndex: number
  readonly startStep: number
  /** Exclusive. */
  readonly endStep: number
  /** Absolute index of this unit's first frame. */
  readonly firstFrame: number
  /** Exclusive absolute index after this unit's last frame. */
  readonly endFrame: number
  readonly state: UnitState
  /** Leases issued so far (attempt numbers are 1, 2, ...). */
  readonly attempts: number
  /** Attempts that ended in a reported failure. */
  readonly failures: number
  /** Peers on which an attempt failed (retries prefer other nodes). */
  readonly failedOn: readonly string[]
  readonly lease: LeaseRecord | null
  /** Leases in a row that expired without the unit gaining a checkpoint (absent: none). */
  readonly stalledLeases?: number
  readonly resume: ResumePoint
  /** Next absolute frame index the coordinator expects (frames before it are stored). */
  readonly nextFrame: number
  readonly priority: number
  readonly queuedAt: number
  readonly updatedAt: number
  readonly finalCheckpointHash?: string
  readonly lastError?: FailureRecord
}

/** One line of a job's history. */
export interface EventRecord {
  readonly seq: number
  readonly at: number
  readonly jobId: string
  readonly unitId?: string
  readonly kind: 'submitted' | 'leased' | 'requeued' | 'checkpoint' | 'unit-done' | 'unit-failed' | 'retry' | 'done' | 'failed' | 'cancelled'
  readonly message: string
  readonly peerId?: string
}
