/**
 * Messages of the control protocol `/mdswarm/control/1` (client → coordinator).
 * Each request opens its own stream; the coordinator answers with one
 * response, or (fetch, watch) with a sequence ending in `end` or when every
 * watched job is finished. Framing and CBOR as every mdswarm protocol
 * (src/wire/framing.ts); the size limit is CONTROL_STREAM_MAX_BYTES.
 * Times are ms since the Unix epoch.
 */
import type { Requirements } from '../wire/messages.ts'
import { BLOB_MAX_MESSAGE_BYTES } from '../wire/constants.ts'

/**
 * Largest control message, bytes. Input payloads (System XML of a big system)
 * and frame chunks of a large system are bigger than 1 MiB, so control streams
 * use the blob limit.
 */
export const CONTROL_STREAM_MAX_BYTES = BLOB_MAX_MESSAGE_BYTES

// ---------------------------------------------------------------- public shapes (also the CLI's --json output)

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled'
export type UnitState = 'queued' | 'leased' | 'done' | 'failed' | 'cancelled'

export interface FailureSummary {
  readonly reason: string
  readonly errorName: string
  readonly unitId?: string
  readonly peerId?: string
  readonly attempt?: number
  readonly at: number
}

export interface JobSummary {
  readonly id: string
  readonly name: string
  readonly batchId: string
  readonly state: JobState
  readonly priority: number
  readonly seed: number
  readonly steps: number
  readonly reportEvery: number
  readonly segmentSteps: number
  readonly segments: number
  /** Index of the segment queued or running now (segments when done). */
  readonly currentSegment: number
  readonly totalFrames: number
  /** Frames stored on the coordinator, contiguous from frame 0. */
  readonly framesStored: number
  /** Steps done as last reported (stored frames, or a running node's renewal). */
  readonly stepsDone: number
  /** ps (0 when the Integrator XML did not say). */
  readonly stepSizePs: number
  readonly atoms: number
  readonly requirements: Requirements
  /** Peer IDs running a unit of this job now. */
  readonly runningOn: readonly string[]
  readonly createdAt: number
  readonly updatedAt: number
  readonly finishedAt?: number
  readonly failure?: FailureSummary
  readonly cancelReason?: string
  /** Why a queued job is not running ("needs CUDA: 0 of 3 nodes have it"). */
  readonly waitingReason?: string
}

export interface UnitSummary {
  readonly unitId: string
  readonly segmentIndex: number
  readonly state: UnitState
  readonly startStep: number
  readonly endStep: number
  readonly firstFrame: number
  readonly endFrame: number
  readonly nextFrame: number
  readonly attempts: number
  readonly failures: number
  readonly resumeStep: number
  readonly lease?: { readonly peerId: string, readonly attempt: number, readonly expiresAt: number, readonly step: number }
  readonly lastError?: FailureSummary
}

export interface JobEvent {
  readonly at: number
  readonly kind: string
  readonly message: string
  readonly unitId?: string
  readonly peerId?: string
}

export interface JobStatus {
  readonly job: JobSummary
  /** Content hashes of the job's inputs (fetch them with `blob-get`, e.g. the PDB for a topology). */
  readonly inputs: { readonly systemHash: string, readonly integratorHash: string, readonly pdbHash: string, readonly stateHash?: string }
  readonly units: readonly UnitSummary[]
  readonly events: readonly JobEvent[]
}

export interface PeerSummary {
  readonly peerId: string
  readonly role: 'node' | 'coordinator' | 'client'
  readonly addresses: readonly string[]
  /** Engine name → version and platforms. */
  readonly engines: Readonly<Record<string, { readonly version: string, readonly platforms: readonly string[] }>>
  readonly concurrency: number
  readonly cpuCores: number
  readonly gpus: readonly string[]
  /** Unit ids the peer runs now. */
  readonly running: readonly string[]
  /** ms since the epoch of the last heartbeat or claim (null: never heard). */
  readonly lastHeartbeat: number | null
  /** ns/day summed over its running units, as it reported. */
  readonly nsPerDay: number
  readonly connected: boolean
}

/** An entry of the coordinator's submitter allow-list. */
export interface AllowedClientSummary {
  readonly peerId: string
  /** May allow and revoke others. */
  readonly admin: boolean
  /** ms since the epoch. */
  readonly addedAt: number
  /** Peer ID of the admin who added it, or 'local'. */
  readonly addedBy: string
}

/** What `submit` asks for; payloads are uploaded first as blobs and named by hash. */
export interface SubmitRequestSpec {
  readonly name?: string
  readonly systemHash: string
  readonly integratorHash: string
  readonly pdbHash: string
  readonly stateHash?: string
  readonly steps: number
  readonly reportEvery: number
  readonly segmentSteps?: number
  readonly replicas?: number
  readonly seed?: number
  readonly priority?: number
  /** Default 'any'. */
  readonly engine?: 'builtin' | 'openmm' | 'any'
  readonly platform?: string
  readonly gpu?: boolean
  readonly maxAttempts?: number
  /** Atom indices (0-based, into the PDB) kept in the trajectory; absent: all. */
  readonly keepAtoms?: readonly number[]
  /** Trajectory coordinate precision, nm (default 0.001, as XTC). */
  readonly precisionNm?: number
  /** Keep float32 positions bit for bit (precisionNm is then ignored). */
  readonly lossless?: boolean
}

// ---------------------------------------------------------------- requests

export type ControlRequest =
  /** Which of these payload hashes the coordinator lacks. */
  | { readonly type: 'blob-has', readonly hashes: readonly string[] }
  | { readonly type: 'blob-put', readonly hash: string, readonly bytes: Uint8Array }
  | { readonly type: 'blob-get', readonly hash: string }
  | { readonly type: 'submit', readonly spec: SubmitRequestSpec }
  /** All jobs, or only those listed. */
  | { readonly type: 'jobs', readonly jobIds?: readonly string[] }
  | { readonly type: 'status', readonly jobId: string }
  | { readonly type: 'cancel', readonly jobId: string, readonly reason?: string }
  | { readonly type: 'peers' }
  /** Streams the stored chunks of a job from `fromFrame` (default 0), then `end`. */
  | { readonly type: 'fetch', readonly jobId: string, readonly fromFrame?: number }
  /** Streams `update`s of these jobs as they change, until every one is finished (or the client closes). */
  | { readonly type: 'watch', readonly jobIds: readonly string[] }
  /** Allow-list (admins only): add a client, or change its admin flag. */
  | { readonly type: 'allow', readonly peerId: string, readonly admin?: boolean }
  /** Allow-list (admins only): remove a client. */
  | { readonly type: 'revoke', readonly peerId: string }
  /** Allow-list: the allowed clients. */
  | { readonly type: 'list-allowed' }

// ---------------------------------------------------------------- responses

export type ControlResponse =
  | { readonly type: 'blob-missing', readonly missing: readonly string[] }
  | { readonly type: 'blob-stored', readonly hash: string }
  | { readonly type: 'blob', readonly hash: string, readonly bytes: Uint8Array }
  | { readonly type: 'submitted', readonly jobs: readonly JobSummary[] }
  | { readonly type: 'jobs', readonly jobs: readonly JobSummary[] }
  | { readonly type: 'status', readonly status: JobStatus }
  | { readonly type: 'cancelled', readonly job: JobSummary }
  | { readonly type: 'peers', readonly peers: readonly PeerSummary[] }
  /** One stored chunk (a src/trajectory/ chunk, as the node sent it) holding frames [firstFrame, firstFrame+frameCount). */
  | { readonly type: 'chunk', readonly firstFrame: number, readonly frameCount: number, readonly data: Uint8Array }
  /** End of a fetch: `frames` frames sent in all; `complete` when the job is done and every frame was sent. */
  | { readonly type: 'end', readonly frames: number, readonly totalFrames: number, readonly complete: boolean, readonly state: JobState }
  | { readonly type: 'update', readonly jobs: readonly JobSummary[] }
  /** The allow-list after an allow/revoke/list-allowed; `changed` is false when nothing had to change. */
  | { readonly type: 'allowed', readonly clients: readonly AllowedClientSummary[], readonly changed: boolean }
  /** `name` is the coordinator-side error class (JobNotFoundError, InvalidJobSpecError, ...). */
  | { readonly type: 'error', readonly name: string, readonly message: string }

export const TERMINAL_JOB_STATES: ReadonlySet<JobState> = new Set(['done', 'failed', 'cancelled'])
