/**
 * Wire messages of every mdswarm protocol. Each message is a CBOR map
 * (cborg) sent length-prefixed (unsigned varint) on a libp2p stream; every
 * read is bounded by the protocol's maximum message size (constants.ts) and
 * validated by `validate.ts` before use. Times are ms since the Unix epoch.
 * Byte payloads are Uint8Array (CBOR byte strings).
 */

// ---------------------------------------------------------------- shared

/** What a unit needs from a node. */
export interface Requirements {
  /** 'builtin' | 'openmm' | 'any' */
  readonly engine: 'builtin' | 'openmm' | 'any'
  /** OpenMM platform name when the job insists on one (CUDA, OpenCL, CPU, Reference). */
  readonly platform?: string
  readonly gpu?: boolean
  /** Force types the System contains (derived by the coordinator at submit). */
  readonly forceTypes: readonly string[]
}

/** What a node can run, sent on claim and in heartbeats. */
export interface Capabilities {
  readonly engines: Record<string, { readonly version: string, readonly platforms: readonly string[], readonly forceTypes: readonly string[] }>
  readonly concurrency: number
  readonly cpuCores: number
  readonly memoryBytes: number
  readonly gpus: ReadonlyArray<{ readonly name: string, readonly memoryBytes: number, readonly driver: string }>
}

/** Everything a node needs to run one work unit: steps [startStep, endStep). */
export interface UnitSpec {
  readonly unitId: string
  readonly jobId: string
  readonly segmentIndex: number
  readonly startStep: number
  readonly endStep: number
  readonly reportEvery: number
  /** Index of the first frame this unit produces within the job (frames at startStep+k*reportEvery). */
  readonly firstFrameIndex: number
  readonly seed: number
  /** Content hashes (sha256 hex) of the payloads, fetched over /mdswarm/blob/1. */
  readonly systemHash: string
  readonly integratorHash: string
  readonly pdbHash: string
  readonly stateHash?: string
  /** Portable checkpoint to start from (the previous segment's end, or this unit's last durable one). */
  readonly checkpointHash?: string
  /** Atom indices to keep in frames (absent: all). */
  readonly keepAtoms?: readonly number[]
  /** Coordinate precision of the unit's trajectory chunks, nm (absent: 0.001, as XTC; src/trajectory/). */
  readonly precisionNm?: number
  /** Chunks keep float32 positions bit for bit (precisionNm is then ignored). */
  readonly lossless?: boolean
  readonly requirements: Requirements
  /** True when this unit ends its job: no later unit starts from its final checkpoint, so the node need not upload it. */
  readonly lastSegment?: boolean
}

export interface Lease {
  readonly unitId: string
  readonly attempt: number
  readonly expiresAt: number
}

// ---------------------------------------------------------------- gossip

/** On topic /mdswarm/<network>/offers: a hint that work exists. */
export interface OfferMessage {
  readonly type: 'offer'
  readonly unitId: string
  readonly jobId: string
  readonly requirements: Requirements
  /** Steps in the unit. */
  readonly steps: number
  readonly atoms: number
  readonly priority: number
}

/** On topic /mdswarm/<network>/status: a node's heartbeat. */
export interface StatusMessage {
  readonly type: 'status'
  readonly role: 'node' | 'coordinator'
  readonly capabilities?: Capabilities
  readonly running: readonly string[]
  /** ns/day summed over running units. */
  readonly nsPerDay: number
  readonly sentAt: number
}

// ---------------------------------------------------------------- /mdswarm/claim/1 (node -> coordinator), one request, one response per exchange

export type ClaimRequest =
  /**
   * `waitMs`: how long the node is willing to wait for work when there is none (long poll; the coordinator caps it, and parks one claim per peer at a time).
   * `count`: leases wanted (1 when absent, at most MAX_LEASES_PER_CLAIM); the answer carries up to that many, as work allows.
   */
  | { readonly type: 'claim', readonly capabilities: Capabilities, readonly unitId?: string, readonly waitMs?: number, readonly count?: number }
  | { readonly type: 'renew', readonly leases: ReadonlyArray<{ readonly unitId: string, readonly attempt: number, readonly step: number }> }
  | { readonly type: 'complete', readonly unitId: string, readonly attempt: number, readonly checkpointHash: string, readonly frames: number }
  | { readonly type: 'fail', readonly unitId: string, readonly attempt: number, readonly reason: string, readonly errorName: string, readonly retryable: boolean }

/** One granted unit: its lease and what to run. */
export interface LeaseGrant { readonly lease: Lease, readonly unit: UnitSpec }

export type ClaimResponse =
  /** `more`: further leases when the claim asked for several (`count`). */
  | { readonly type: 'lease', readonly lease: Lease, readonly unit: UnitSpec, readonly more?: readonly LeaseGrant[] }
  | { readonly type: 'refused', readonly code: 'no-work' | 'no-match' | 'not-allowed' | 'rate-limited' | 'bad-request' | 'stale', readonly reason: string }
  | { readonly type: 'renewed', readonly leases: ReadonlyArray<{ readonly unitId: string, readonly attempt: number, readonly expiresAt: number, readonly cancel: boolean }> }
  | { readonly type: 'ok' }

// ---------------------------------------------------------------- /mdswarm/blob/1 (node -> coordinator)

export type BlobRequest =
  | { readonly type: 'get', readonly hash: string }
  /** Upload (checkpoints); bytes must hash to `hash`. */
  | { readonly type: 'put', readonly hash: string, readonly bytes: Uint8Array, readonly unitId: string, readonly attempt: number }

export type BlobResponse =
  | { readonly type: 'blob', readonly hash: string, readonly bytes: Uint8Array }
  | { readonly type: 'stored', readonly hash: string }
  | { readonly type: 'error', readonly code: string, readonly reason: string }

// ---------------------------------------------------------------- /mdswarm/frames/1 (node -> coordinator), many chunks per stream, one ack each

export interface ChunkMessage {
  readonly type: 'chunk'
  readonly unitId: string
  readonly attempt: number
  /** Index within the job of the first frame in this chunk. */
  readonly firstFrame: number
  readonly frameCount: number
  /** Encoded frames: one trajectory chunk (src/trajectory/, encodeFrames / decodeFrames). */
  readonly data: Uint8Array
  /** Optional checkpoint at the last frame's step (hash already uploaded via blob put). */
  readonly checkpointHash?: string
  readonly checkpointStep?: number
  /**
   * The unit's last chunk may also end the unit: the same as a `complete`
   * claim message sent after its ack, stored with the chunk in one write
   * (one message and one synced write fewer per unit).
   */
  readonly complete?: ChunkCompletion
}

/** A unit's end carried by its last chunk: its final checkpoint (uploaded first unless the unit ends its job) and frames in all. */
export interface ChunkCompletion {
  readonly checkpointHash: string
  readonly frames: number
}

export type ChunkAck =
  /**
   * `completed` answers a chunk that carried `complete`: true when the unit
   * is now done; false (with `completeRefused`) when the chunk is stored but
   * the unit was not completed, and the node should say `complete` on its own.
   */
  | { readonly type: 'ack', readonly unitId: string, readonly firstFrame: number, readonly duplicate: boolean, readonly completed?: boolean, readonly completeRefused?: string }
  | { readonly type: 'nack', readonly unitId: string, readonly firstFrame: number, readonly code: 'not-holder' | 'stale-attempt' | 'gap' | 'corrupt' | 'bad-request' | 'cancelled', readonly reason: string }
