/**
 * The coordinator's job queue: jobs, their work units, leases and stored
 * frames, on a `CoordinatorStore`. Every transition is one LevelDB batch and
 * all of them run one at a time (SerialExecutor).
 *
 * A job of S steps is cut into units of `segmentSteps`; unit k+1 starts from
 * unit k's final checkpoint, so it is created (queued) when unit k completes.
 * A unit whose lease expires goes back to the queue and restarts from its last
 * durable checkpoint (the last chunk that carried one).
 *
 * A transition's batch is handed to the store inside the serial order but
 * waited for outside it (`transact`): the next transition starts at once
 * (it sees the staged records) and waiting transitions share one disk write
 * (group commit). Callers get their answer, and listeners their events,
 * only once the batch is written (synced where the answer promises
 * durability: submit, chunk acks, complete, fail, cancel).
 */
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import type { CoordinatorStore, TransitionBatch } from '../store/coordinator-store.ts'
import type { EventRecord, FailureRecord, JobPayload, JobRecord, UnitRecord } from '../store/records.ts'
import { TERMINAL_JOB_STATES } from '../store/records.ts'
import { PRIORITY_LIMIT, chunkRange } from '../store/keys.ts'
import { decodeStoredChunk, encodeStoredChunk } from '../store/stored-chunk.ts'
import type { Capabilities, ChunkAck, ChunkMessage, Lease, Requirements, UnitSpec } from '../../src/wire/messages.ts'
import { DEFAULT_LEASE_TTL_MS, DEFAULT_MAX_ATTEMPTS, MAX_REASON_CHARS, MAX_REPLICAS, MAX_STALLED_LEASES } from './constants.ts'
import { InvalidJobSpecError, JobNotFoundError, MissingBlobError } from './errors.ts'
import { frameIndexAfterStep, segmentCount, segmentOf, validatePlan } from './job-plan.ts'
import { unmetRequirement } from './matching.ts'
import { SerialExecutor } from './serial.ts'
import { transition } from './unit-transitions.ts'
import type { ChunkInspector, InspectedChunk } from './chunk-inspector.ts'

export interface WorkQueueOptions {
  readonly leaseTtlMs?: number
  readonly defaultMaxAttempts?: number
  readonly chunkInspector: ChunkInspector
  /** Clock, ms (tests pass their own). */
  readonly now?: () => number
}

export interface JobSubmission {
  readonly name?: string
  readonly submittedBy: string
  readonly payload: JobPayload
  readonly requirements: Requirements
  readonly steps: number
  readonly reportEvery: number
  /** Default: the whole job in one unit. */
  readonly segmentSteps?: number
  /** Default 1; replica i gets seed + i. */
  readonly replicas?: number
  readonly seed?: number
  readonly priority?: number
  readonly stepSizePs: number
  readonly atoms: number
  readonly maxAttempts?: number
  /** Atom indices kept in the trajectory (absent: all). */
  readonly keepAtoms?: readonly number[]
  /** Trajectory precision, nm (absent: the codec's 0.001). */
  readonly precisionNm?: number
  readonly lossless?: boolean
}

export type ClaimOutcome =
  | { readonly type: 'lease', readonly lease: Lease, readonly unit: UnitSpec }
  | { readonly type: 'refused', readonly code: 'no-work' | 'no-match' | 'stale', readonly reason: string }

/** Whether `unit` was ended by attempt `attempt` (a repeated `complete` is answered ok). */
function isCompletedBy (unit: UnitRecord, attempt: number): boolean {
  return unit.state === 'done' && unit.lease === null && unit.attempts === attempt
}

export type SimpleOutcome =
  | { readonly type: 'ok' }
  | { readonly type: 'refused', readonly code: 'stale' | 'bad-request', readonly reason: string }

export interface RenewResult { readonly unitId: string, readonly attempt: number, readonly expiresAt: number, readonly cancel: boolean }

export interface ClaimContext {
  /** Unit the node would like (from a gossip offer); falls back to the best match. */
  readonly unitId?: string
  /** Other live nodes' capabilities, to decide whether a unit that failed on this node can go elsewhere. */
  readonly otherNodes?: ReadonlyArray<{ readonly peerId: string, readonly capabilities: Capabilities }>
}

interface QueueEvents {
  /** A job's record changed (state, frames, failure). */
  'job-changed': [JobRecord]
  /** A unit became claimable (new, retried or requeued). */
  'unit-queued': [UnitRecord, JobRecord]
  /** History lines written. */
  'events': [readonly EventRecord[]]
}

function clip (text: string): string {
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text
}

/** What the transition running now has handed to the store. */
interface TransactionEffects {
  readonly written: Array<Promise<void>>
  readonly after: Array<() => void>
}

function newId (prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`
}

export class WorkQueue extends EventEmitter<QueueEvents> {
  readonly store: CoordinatorStore
  readonly leaseTtlMs: number
  private readonly defaultMaxAttempts: number
  private readonly inspector: ChunkInspector
  private readonly now: () => number
  private readonly serial = new SerialExecutor()
  private effects: TransactionEffects | null = null

  constructor (store: CoordinatorStore, options: WorkQueueOptions) {
    super()
    // One listener per watch stream and per claim waiting for work: many is normal.
    this.setMaxListeners(0)
    this.store = store
    this.leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS
    this.defaultMaxAttempts = options.defaultMaxAttempts ?? DEFAULT_MAX_ATTEMPTS
    this.inspector = options.chunkInspector
    this.now = options.now ?? Date.now
  }

  /**
   * Runs `task` in the serial order; what it commits (`commit`) is written
   * in that order but awaited after the task, so the next transition need
   * not wait for this one's disk write. Then runs its `after` callbacks
   * (events) and returns its result.
   */
  private async transact<T> (task: () => Promise<T>): Promise<T> {
    const effects: TransactionEffects = { written: [], after: [] }
    const result = await this.serial.run(async () => {
      this.effects = effects
      try {
        return await task()
      } finally {
        this.effects = null
      }
    })
    await Promise.all(effects.written)
    for (const after of effects.after) after()
    return result
  }

  /** Inside `transact`: hands `batch` to the store (synced when `sync`); `after` runs once it is written. */
  private commit (batch: TransitionBatch, sync: boolean, after?: () => void): void {
    const effects = this.effects
    if (effects === null) throw new Error('WorkQueue.commit outside a transaction')
    const written = batch.write({ sync })
    written.catch(() => {}) // awaited (and thrown) by `transact` once the task ends
    effects.written.push(written)
    if (after !== undefined) effects.after.push(after)
  }

  /**
   * After a (re)start: give every lease a full TTL from now, so nodes that
   * kept working while the coordinator was down can renew before expiry.
   */
  async recoverLeases (): Promise<number> {
    return await this.transact(async () => {
      const now = this.now()
      let extended = 0
      const batch = this.store.batch()
      for await (const [unitId, lease] of this.store.leases.iterator()) {
        const unit = await this.store.getUnit(unitId)
        if (unit?.state !== 'leased' || unit.lease === null) { batch.deleteLease(unitId); continue }
        const expiresAt = Math.max(lease.expiresAt, now + this.leaseTtlMs)
        const renewed = { ...unit.lease, expiresAt }
        batch.putLease(unitId, renewed).putUnit({ ...unit, lease: renewed, updatedAt: now })
        extended += 1
      }
      this.commit(batch, true)
      return extended
    })
  }

  // ------------------------------------------------------------ submit

  async submit (spec: JobSubmission): Promise<JobRecord[]> {
    const segmentSteps = spec.segmentSteps ?? spec.steps
    validatePlan(spec.steps, spec.reportEvery, segmentSteps)
    const replicas = spec.replicas ?? 1
    if (!Number.isSafeInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) throw new InvalidJobSpecError(`--replicas must be a whole number from 1 to ${MAX_REPLICAS}, got ${replicas}.`)
    const priority = spec.priority ?? 0
    if (!Number.isSafeInteger(priority) || Math.abs(priority) > PRIORITY_LIMIT) throw new InvalidJobSpecError(`--priority must be a whole number from -${PRIORITY_LIMIT} to ${PRIORITY_LIMIT}, got ${priority}.`)
    const seed = spec.seed ?? Math.floor(Math.random() * 2 ** 31)
    if (!Number.isSafeInteger(seed) || seed < 0 || seed + replicas > 2 ** 53) throw new InvalidJobSpecError(`--seed must be a non-negative whole number, got ${seed}.`)
    const maxAttempts = spec.maxAttempts ?? this.defaultMaxAttempts
    if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new InvalidJobSpecError(`max attempts must be at least 1, got ${maxAttempts}.`)
    if (!Number.isSafeInteger(spec.atoms) || spec.atoms <= 0) throw new InvalidJobSpecError(`the system must have at least one atom, got ${spec.atoms}.`)
    const hashes: Array<[string | undefined, string]> = [[spec.payload.systemHash, 'System XML'], [spec.payload.integratorHash, 'Integrator XML'], [spec.payload.pdbHash, 'PDB'], [spec.payload.stateHash, 'State XML']]
    for (const [hash, what] of hashes) {
      if (hash !== undefined && (await this.store.blobs.get(hash)) === undefined) throw new MissingBlobError(hash, what)
    }

    return await this.transact(async () => {
      const now = this.now()
      const batchId = newId('b')
      const batch = this.store.batch()
      const jobs: JobRecord[] = []
      const units: UnitRecord[] = []
      const segments = segmentCount(spec.steps, segmentSteps)
      for (let i = 0; i < replicas; i++) {
        let id = newId('j')
        while ((await this.store.getJob(id)) !== undefined || jobs.some((j) => j.id === id)) id = newId('j')
        const baseName = spec.name ?? 'job'
        const job: JobRecord = {
          id,
          name: replicas > 1 ? `${baseName}-${i}` : baseName,
          batchId,
          replicaIndex: i,
          submittedBy: spec.submittedBy,
          createdAt: now,
          priority,
          seed: seed + i,
          steps: spec.steps,
          reportEvery: spec.reportEvery,
          segmentSteps,
          segmentCount: segments,
          totalFrames: frameIndexAfterStep(spec.steps, spec.reportEvery),
          stepSizePs: spec.stepSizePs,
          atoms: spec.atoms,
          payload: spec.payload,
          requirements: spec.requirements,
          ...(spec.keepAtoms !== undefined ? { keepAtoms: [...spec.keepAtoms] } : {}),
          ...(spec.precisionNm !== undefined ? { precisionNm: spec.precisionNm } : {}),
          ...(spec.lossless === true ? { lossless: true } : {}),
          maxAttempts,
          state: 'queued',
          framesStored: 0,
          currentSegment: 0,
          updatedAt: now,
        }
        const unit = this.newUnit(job, 0, undefined, now)
        batch.putJob(job).putUnit(unit).enqueue(unit)
          .event({ at: now, jobId: id, kind: 'submitted', message: `submitted: ${spec.steps} steps in ${segments} unit(s), a frame every ${spec.reportEvery} steps, seed ${job.seed}` })
        jobs.push(job)
        units.push(unit)
      }
      this.commit(batch, true, () => {
        this.emit('events', batch.events)
        for (let i = 0; i < jobs.length; i++) {
          this.emit('job-changed', jobs[i])
          this.emit('unit-queued', units[i], jobs[i])
        }
      })
      return jobs
    })
  }

  private newUnit (job: JobRecord, segmentIndex: number, checkpointHash: string | undefined, now: number): UnitRecord {
    const segment = segmentOf(segmentIndex, job.steps, job.segmentSteps, job.reportEvery)
    return {
      unitId: `${job.id}.${segmentIndex}`,
      jobId: job.id,
      segmentIndex,
      startStep: segment.startStep,
      endStep: segment.endStep,
      firstFrame: segment.firstFrame,
      endFrame: segment.endFrame,
      state: 'queued',
      attempts: 0,
      failures: 0,
      failedOn: [],
      lease: null,
      resume: checkpointHash === undefined ? { step: segment.startStep, frame: segment.firstFrame } : { step: segment.startStep, frame: segment.firstFrame, checkpointHash },
      nextFrame: segment.firstFrame,
      priority: job.priority,
      queuedAt: now,
      updatedAt: now,
    }
  }

  /** What a node needs to run `unit` from its resume point. */
  unitSpec (unit: UnitRecord, job: JobRecord): UnitSpec {
    return {
      unitId: unit.unitId,
      jobId: job.id,
      segmentIndex: unit.segmentIndex,
      startStep: unit.resume.step,
      endStep: unit.endStep,
      reportEvery: job.reportEvery,
      firstFrameIndex: unit.resume.frame,
      seed: job.seed,
      systemHash: job.payload.systemHash,
      integratorHash: job.payload.integratorHash,
      pdbHash: job.payload.pdbHash,
      ...(job.payload.stateHash !== undefined ? { stateHash: job.payload.stateHash } : {}),
      ...(unit.resume.checkpointHash !== undefined ? { checkpointHash: unit.resume.checkpointHash } : {}),
      ...(job.keepAtoms !== undefined ? { keepAtoms: job.keepAtoms } : {}),
      ...(job.precisionNm !== undefined ? { precisionNm: job.precisionNm } : {}),
      ...(job.lossless === true ? { lossless: true } : {}),
      requirements: job.requirements,
      ...(unit.segmentIndex + 1 >= job.segmentCount ? { lastSegment: true } : {}),
    }
  }

  // ------------------------------------------------------------ claim

  /** Leases the best queued unit `capabilities` can run (highest priority, oldest first). */
  async claim (peerId: string, capabilities: Capabilities, context: ClaimContext = {}): Promise<ClaimOutcome> {
    return await this.transact(async () => {
      let firstMismatch: string | null = null
      let sawQueued = false
      const tryUnit = async (unitId: string): Promise<ClaimOutcome | null> => {
        const unit = await this.store.getUnit(unitId)
        if (unit?.state !== 'queued') return null
        const job = await this.store.getJob(unit.jobId)
        if (job === undefined) return null
        sawQueued = true
        const unmet = unmetRequirement(job.requirements, capabilities)
        if (unmet !== null) { firstMismatch ??= `unit ${unitId} ${unmet}`; return null }
        if (unit.failedOn.includes(peerId) && this.otherNodeCouldRun(unit, job, peerId, context)) return null
        return await this.leaseUnit(unit, job, peerId)
      }
      if (context.unitId !== undefined) {
        const preferred = await tryUnit(context.unitId)
        if (preferred !== null) return preferred
      }
      for (const unitId of this.store.readyUnitIds()) {
        const outcome = await tryUnit(unitId)
        if (outcome !== null) return outcome
      }
      if (!sawQueued) return { type: 'refused', code: 'no-work', reason: 'no queued work' }
      return { type: 'refused', code: 'no-match', reason: firstMismatch ?? 'queued units are waiting for other nodes after failing on this one' }
    })
  }

  private otherNodeCouldRun (unit: UnitRecord, job: JobRecord, peerId: string, context: ClaimContext): boolean {
    return (context.otherNodes ?? []).some((node) => node.peerId !== peerId && !unit.failedOn.includes(node.peerId) && unmetRequirement(job.requirements, node.capabilities) === null)
  }

  /**
   * Not synced: a lease lost with the coordinator's machine (power loss)
   * only means the unit is leased again; the first holder's results are then
   * refused and the unit recomputed. (A kill -9 loses nothing written.)
   */
  private async leaseUnit (unit: UnitRecord, job: JobRecord, peerId: string): Promise<ClaimOutcome> {
    const now = this.now()
    const attempt = unit.attempts + 1
    const lease = { peerId, attempt, grantedAt: now, expiresAt: now + this.leaseTtlMs, step: unit.resume.step, fromStep: unit.resume.step }
    const leased = transition(unit, 'leased', { attempts: attempt, lease }, now)
    const batch = this.store.batch().dequeue(unit).putUnit(leased).putLease(unit.unitId, lease)
      .event({ at: now, jobId: job.id, unitId: unit.unitId, kind: 'leased', peerId, message: `unit ${unit.segmentIndex} attempt ${attempt} leased to ${peerId} from step ${unit.resume.step}` })
    let updatedJob = job
    if (job.state === 'queued') {
      updatedJob = { ...job, state: 'running', updatedAt: now }
      batch.putJob(updatedJob)
    }
    this.commit(batch, false, () => {
      this.emit('events', batch.events)
      if (updatedJob !== job) this.emit('job-changed', updatedJob)
    })
    return { type: 'lease', lease: { unitId: unit.unitId, attempt, expiresAt: lease.expiresAt }, unit: this.unitSpec(leased, job) }
  }

  /** Resolves true when a unit becomes claimable (new, retried or requeued), false after `ms` or on `signal`. */
  async waitForWork (ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted === true) return false
    return await new Promise<boolean>((resolve) => {
      const done = (found: boolean): void => {
        clearTimeout(timer)
        this.off('unit-queued', onQueued)
        signal?.removeEventListener('abort', onAbort)
        resolve(found)
      }
      const onQueued = (): void => { done(true) }
      const onAbort = (): void => { done(false) }
      const timer = setTimeout(() => { done(false) }, ms)
      this.on('unit-queued', onQueued)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  // ------------------------------------------------------------ renew

  /** Extends the leases `peerId` still holds; any other lease in the list comes back with cancel: true. */
  async renew (peerId: string, leases: ReadonlyArray<{ unitId: string, attempt: number, step: number }>): Promise<RenewResult[]> {
    return await this.transact(async () => {
      const now = this.now()
      const batch = this.store.batch()
      const results: RenewResult[] = []
      for (const { unitId, attempt, step } of leases) {
        const unit = await this.store.getUnit(unitId)
        const held = unit?.state === 'leased' && unit.lease !== null && unit.lease.peerId === peerId && unit.lease.attempt === attempt
        if (!held || unit === undefined || unit.lease === null) { results.push({ unitId, attempt, expiresAt: 0, cancel: true }); continue }
        const lease = { ...unit.lease, expiresAt: now + this.leaseTtlMs, step: Number.isSafeInteger(step) ? Math.max(unit.lease.step, Math.min(step, unit.endStep)) : unit.lease.step }
        batch.putUnit({ ...unit, lease, updatedAt: now }).putLease(unitId, lease)
        results.push({ unitId, attempt, expiresAt: lease.expiresAt, cancel: false })
      }
      this.commit(batch, false)
      return results
    })
  }

  // ------------------------------------------------------------ frames

  /**
   * Stores one chunk if it comes from the unit's current lease holder and
   * continues the stored frames; acknowledges only after a synced write.
   * Chunks already stored are acknowledged as duplicates; a resend that
   * overlaps stored frames keeps only its new frames.
   */
  async ingestChunk (peerId: string, chunk: ChunkMessage): Promise<ChunkAck> {
    return await this.transact(async () => {
      const nack = (code: Extract<ChunkAck, { type: 'nack' }>['code'], reason: string): ChunkAck => ({ type: 'nack', unitId: chunk.unitId, firstFrame: chunk.firstFrame, code, reason })
      const duplicate: ChunkAck = { type: 'ack', unitId: chunk.unitId, firstFrame: chunk.firstFrame, duplicate: true }
      const unit = await this.store.getUnit(chunk.unitId)
      if (unit === undefined) return nack('bad-request', `no unit ${chunk.unitId}`)
      const endFrame = chunk.firstFrame + chunk.frameCount
      if (!Number.isSafeInteger(chunk.firstFrame) || !Number.isSafeInteger(chunk.frameCount) || chunk.frameCount <= 0 || chunk.firstFrame < unit.firstFrame || endFrame > unit.endFrame) {
        return nack('bad-request', `frames ${chunk.firstFrame}..${endFrame - 1} are outside unit ${unit.unitId} (frames ${unit.firstFrame}..${unit.endFrame - 1})`)
      }
      const alreadyStored = endFrame <= unit.nextFrame
      if (unit.state === 'cancelled') return nack('cancelled', `unit ${unit.unitId} was cancelled`)
      if (alreadyStored) {
        if (chunk.complete === undefined) return duplicate
        // A resend of the last chunk (its ack was lost): end the unit now, or say it has ended.
        if (isCompletedBy(unit, chunk.attempt)) return { ...duplicate, completed: true }
        const job = await this.store.getJob(unit.jobId)
        if (job === undefined) return nack('bad-request', `no job ${unit.jobId}`)
        const batch = this.store.batch()
        const ended = await this.addCompletion(batch, peerId, unit, job, chunk.attempt, chunk.complete.checkpointHash)
        if ('refused' in ended) return { ...duplicate, completed: false, completeRefused: ended.refused.reason }
        this.commit(batch, true, ended.announce)
        return { ...duplicate, completed: true }
      }
      if (unit.state !== 'leased' || unit.lease === null) return nack('stale-attempt', `unit ${unit.unitId} is ${unit.state}; attempt ${chunk.attempt} no longer holds it`)
      if (unit.lease.peerId !== peerId) return nack('not-holder', `unit ${unit.unitId} is leased to another node`)
      if (unit.lease.attempt !== chunk.attempt) return nack('stale-attempt', `attempt ${chunk.attempt} of unit ${unit.unitId} was superseded by attempt ${unit.lease.attempt}`)
      if (chunk.firstFrame > unit.nextFrame) return nack('gap', `expected frame ${unit.nextFrame} next, got ${chunk.firstFrame}; resend from frame ${unit.nextFrame}`)
      const job = await this.store.getJob(unit.jobId)
      if (job === undefined) return nack('bad-request', `no job ${unit.jobId}`)
      let inspected: InspectedChunk
      try {
        inspected = this.inspector.inspect(chunk.data)
      } catch (err) {
        return nack('corrupt', `chunk ${chunk.firstFrame} of unit ${unit.unitId} is damaged: ${(err as Error).message}`)
      }
      if (inspected.frameCount !== chunk.frameCount) return nack('corrupt', `chunk says ${chunk.frameCount} frames but holds ${inspected.frameCount}`)
      const keptAtoms = job.keepAtoms?.length ?? job.atoms
      if (inspected.atoms !== keptAtoms) return nack('bad-request', `chunk frames have ${inspected.atoms} atoms, the job keeps ${keptAtoms}`)
      if (job.keepAtoms !== undefined && !sameAtoms(inspected.atomSelection, job.keepAtoms)) return nack('bad-request', `chunk frames keep other atoms than the job's ${job.keepAtoms.length}`)
      const badStep = inspected.steps.findIndex((step, k) => step !== (chunk.firstFrame + k + 1) * job.reportEvery)
      if (badStep >= 0) return nack('bad-request', `frame ${chunk.firstFrame + badStep} should be at step ${(chunk.firstFrame + badStep + 1) * job.reportEvery}, the chunk has step ${inspected.steps[badStep]}`)
      const overlap = unit.nextFrame - chunk.firstFrame
      const data = overlap > 0 ? this.inspector.dropLeadingFrames(chunk.data, overlap) : chunk.data
      const now = this.now()
      let resume = unit.resume
      if (chunk.checkpointHash !== undefined && chunk.checkpointStep !== undefined) {
        const step = chunk.checkpointStep
        if (!Number.isSafeInteger(step) || step < unit.resume.step || step > unit.endStep || frameIndexAfterStep(step, job.reportEvery) > endFrame) {
          return nack('bad-request', `checkpoint step ${step} does not lie within the frames sent`)
        }
        if ((await this.store.blobs.get(chunk.checkpointHash)) === undefined) return nack('bad-request', `checkpoint ${chunk.checkpointHash} was not uploaded; put it over the blob protocol first`)
        resume = { step, checkpointHash: chunk.checkpointHash, frame: frameIndexAfterStep(step, job.reportEvery) }
      }
      const updatedUnit: UnitRecord = { ...unit, nextFrame: endFrame, resume, updatedAt: now }
      const updatedJob: JobRecord = { ...job, framesStored: Math.max(job.framesStored, endFrame), updatedAt: now }
      const batch = this.store.batch()
        .putChunk(job.id, unit.nextFrame, encodeStoredChunk(endFrame - unit.nextFrame, data))
        .putUnit(updatedUnit)
        .putJob(updatedJob)
      const stored: ChunkAck = { type: 'ack', unitId: unit.unitId, firstFrame: chunk.firstFrame, duplicate: false }
      if (chunk.complete !== undefined) {
        // The last chunk also ends the unit: one write for both (the completion's records supersede the chunk's).
        const ended = await this.addCompletion(batch, peerId, updatedUnit, updatedJob, chunk.attempt, chunk.complete.checkpointHash)
        if ('announce' in ended) {
          this.commit(batch, true, ended.announce)
          return { ...stored, completed: true }
        }
        this.commit(batch, true, () => { this.emit('job-changed', updatedJob) })
        return { ...stored, completed: false, completeRefused: ended.refused.reason }
      }
      this.commit(batch, true, () => { this.emit('job-changed', updatedJob) })
      return stored
    })
  }

  /** Stored chunks of a job in frame order, from `fromFrame` (a chunk that starts before it is included whole). */
  async * readChunks (jobId: string, fromFrame = 0): AsyncGenerator<{ firstFrame: number, frameCount: number, data: Uint8Array }> {
    let start = fromFrame
    if (fromFrame > 0) {
      for await (const key of this.store.chunks.keys({ lte: chunkRange(jobId, fromFrame).gte, gte: chunkRange(jobId, 0).gte, reverse: true, limit: 1 })) {
        start = Number(key.slice(key.lastIndexOf('!') + 1))
      }
    }
    for await (const [key, stored] of this.store.chunks.iterator(chunkRange(jobId, start))) {
      const { frameCount, data } = decodeStoredChunk(stored)
      yield { firstFrame: Number(key.slice(key.lastIndexOf('!') + 1)), frameCount, data }
    }
  }

  // ------------------------------------------------------------ complete / fail

  async complete (peerId: string, unitId: string, attempt: number, checkpointHash: string): Promise<SimpleOutcome> {
    return await this.transact(async () => {
      const unit = await this.store.getUnit(unitId)
      const job = unit === undefined ? undefined : await this.store.getJob(unit.jobId)
      if (unit === undefined || job === undefined) return { type: 'refused', code: 'bad-request', reason: `no unit ${unitId}` }
      if (isCompletedBy(unit, attempt)) return { type: 'ok' }
      const batch = this.store.batch()
      const ended = await this.addCompletion(batch, peerId, unit, job, attempt, checkpointHash)
      if ('refused' in ended) return ended.refused
      this.commit(batch, true, ended.announce)
      return { type: 'ok' }
    })
  }

  /**
   * Checks that attempt `attempt` of `peerId` may end `unit` (every frame
   * stored; the final checkpoint uploaded unless the unit ends its job) and
   * adds the unit's end to `batch`: the unit done, the job done or its next
   * segment queued. Returns the refusal, or what to announce once written.
   */
  private async addCompletion (batch: TransitionBatch, peerId: string, unit: UnitRecord, job: JobRecord, attempt: number, checkpointHash: string): Promise<{ refused: Extract<SimpleOutcome, { type: 'refused' }> } | { announce: () => void }> {
    const refuse = (code: 'stale' | 'bad-request', reason: string): { refused: Extract<SimpleOutcome, { type: 'refused' }> } => ({ refused: { type: 'refused', code, reason } })
    const unitId = unit.unitId
    if (unit.state !== 'leased' || unit.lease?.peerId !== peerId || unit.lease.attempt !== attempt) return refuse('stale', `attempt ${attempt} no longer holds unit ${unitId} (${unit.state})`)
    if (unit.nextFrame < unit.endFrame) return refuse('bad-request', `frames ${unit.nextFrame}..${unit.endFrame - 1} of unit ${unitId} have not been stored yet; send them before completing`)
    const isLast = unit.segmentIndex + 1 >= job.segmentCount
    if (!isLast && (await this.store.blobs.get(checkpointHash)) === undefined) return refuse('bad-request', `final checkpoint ${checkpointHash} was not uploaded; put it over the blob protocol first`)
    const now = this.now()
    const done = transition(unit, 'done', { lease: null, finalCheckpointHash: checkpointHash }, now)
    batch.putUnit(done).deleteLease(unitId)
      .event({ at: now, jobId: job.id, unitId, kind: 'unit-done', peerId, message: `unit ${unit.segmentIndex} done (steps ${unit.startStep}..${unit.endStep}) on ${peerId}` })
    let updatedJob: JobRecord
    let next: UnitRecord | null = null
    if (isLast) {
      updatedJob = { ...job, state: 'done', currentSegment: job.segmentCount, finishedAt: now, updatedAt: now }
      batch.event({ at: now, jobId: job.id, kind: 'done', message: `done: ${job.totalFrames} frames` })
    } else {
      next = this.newUnit(job, unit.segmentIndex + 1, checkpointHash, now)
      next = { ...next, queuedAt: job.createdAt }
      updatedJob = { ...job, currentSegment: unit.segmentIndex + 1, updatedAt: now }
      batch.putUnit(next).enqueue(next)
    }
    batch.putJob(updatedJob)
    const queued = next
    return {
      announce: () => {
        this.emit('events', batch.events)
        this.emit('job-changed', updatedJob)
        if (queued !== null) this.emit('unit-queued', queued, updatedJob)
      }
    }
  }

  /** A node's report that a unit failed; retried elsewhere until the job's attempt limit, then the job fails. */
  async fail (peerId: string, unitId: string, attempt: number, report: { reason: string, errorName: string, retryable: boolean }): Promise<SimpleOutcome> {
    return await this.transact(async () => {
      const unit = await this.store.getUnit(unitId)
      const job = unit === undefined ? undefined : await this.store.getJob(unit.jobId)
      if (unit === undefined || job === undefined) return { type: 'refused', code: 'bad-request', reason: `no unit ${unitId}` }
      if (unit.state !== 'leased' || unit.lease?.peerId !== peerId || unit.lease.attempt !== attempt) return { type: 'refused', code: 'stale', reason: `attempt ${attempt} no longer holds unit ${unitId} (${unit.state})` }
      const now = this.now()
      const failure: FailureRecord = { reason: clip(report.reason), errorName: clip(report.errorName), unitId, peerId, attempt, at: now }
      const failures = unit.failures + 1
      const failedOn = unit.failedOn.includes(peerId) ? unit.failedOn : [...unit.failedOn, peerId]
      const batch = this.store.batch().deleteLease(unitId)
      let updatedJob = job
      let requeued: UnitRecord | null = null
      if (!report.retryable || failures >= job.maxAttempts) {
        batch.putUnit(transition(unit, 'failed', { lease: null, failures, failedOn, lastError: failure }, now))
        updatedJob = { ...job, state: 'failed', failure, finishedAt: now, updatedAt: now }
        batch.putJob(updatedJob)
          .event({ at: now, jobId: job.id, unitId, kind: 'unit-failed', peerId, message: `unit ${unit.segmentIndex} attempt ${attempt} failed on ${peerId}: ${failure.errorName}: ${failure.reason}` })
          .event({ at: now, jobId: job.id, kind: 'failed', message: report.retryable ? `failed after ${failures} attempt(s): ${failure.errorName}: ${failure.reason}` : `failed (not retryable): ${failure.errorName}: ${failure.reason}` })
      } else {
        requeued = transition(unit, 'queued', { lease: null, failures, failedOn, lastError: failure }, now)
        batch.putUnit(requeued).enqueue(requeued)
          .event({ at: now, jobId: job.id, unitId, kind: 'retry', peerId, message: `unit ${unit.segmentIndex} attempt ${attempt} failed on ${peerId} (${failure.errorName}: ${failure.reason}); retry ${failures + 1} of ${job.maxAttempts} from step ${unit.resume.step}` })
      }
      const back = requeued
      const changedJob = updatedJob
      this.commit(batch, true, () => {
        this.emit('events', batch.events)
        if (changedJob !== job) this.emit('job-changed', changedJob)
        if (back !== null) this.emit('unit-queued', back, job)
      })
      return { type: 'ok' }
    })
  }

  // ------------------------------------------------------------ leases

  /** Sends every unit whose lease expired by now back to the queue, to resume from its last durable checkpoint. */
  async expireLeases (): Promise<UnitRecord[]> {
    return await this.transact(async () => {
      const now = this.now()
      const expired: UnitRecord[] = []
      const queued: Array<[UnitRecord, JobRecord]> = []
      const failedJobs: JobRecord[] = []
      const batch = this.store.batch()
      for await (const [unitId, lease] of this.store.leases.iterator()) {
        if (lease.expiresAt > now) continue
        const unit = await this.store.getUnit(unitId)
        // The unit record may hold a renewal not yet written to the leases sublevel.
        if (unit?.state === 'leased' && unit.lease !== null && unit.lease.expiresAt > now) continue
        batch.deleteLease(unitId)
        if (unit?.state !== 'leased') continue
        const job = await this.store.getJob(unit.jobId)
        const fromStep = unit.lease?.fromStep
        const stalledLeases = fromStep !== undefined && unit.resume.step > fromStep ? 0 : (unit.stalledLeases ?? 0) + 1
        if (job !== undefined && job.state === 'running' && stalledLeases >= MAX_STALLED_LEASES) {
          // Every recent node went silent on this unit without getting anywhere: stop handing it out.
          const failure: FailureRecord = {
            reason: clip(`the lease expired ${stalledLeases} times in a row without progress past step ${unit.resume.step} (the nodes running it crashed, were killed or lost the network; last on ${lease.peerId}). Check the nodes' logs, or the inputs: a unit that takes its node down fails here rather than being requeued forever`),
            errorName: 'LeaseExpiredError', unitId, peerId: lease.peerId, attempt: lease.attempt, at: now
          }
          const failedJob: JobRecord = { ...job, state: 'failed', failure, finishedAt: now, updatedAt: now }
          batch.putUnit(transition(unit, 'failed', { lease: null, stalledLeases, lastError: failure }, now)).putJob(failedJob)
            .event({ at: now, jobId: job.id, unitId, kind: 'unit-failed', peerId: lease.peerId, message: `unit ${unit.segmentIndex} attempt ${lease.attempt}: ${failure.reason}` })
            .event({ at: now, jobId: job.id, kind: 'failed', message: `failed: LeaseExpiredError: ${failure.reason}` })
          failedJobs.push(failedJob)
          continue
        }
        const requeued = transition(unit, 'queued', { lease: null, stalledLeases }, now)
        batch.putUnit(requeued).enqueue(requeued)
          .event({ at: now, jobId: unit.jobId, unitId, kind: 'requeued', peerId: lease.peerId, message: `lease of ${lease.peerId} (attempt ${lease.attempt}) expired at step ${lease.step}; requeued to resume from step ${unit.resume.step}` })
        expired.push(requeued)
        if (job !== undefined) queued.push([requeued, job])
      }
      if (expired.length === 0 && batch.events.length === 0) { this.commit(batch, false); return [] }
      this.commit(batch, true, () => {
        this.emit('events', batch.events)
        for (const job of failedJobs) this.emit('job-changed', job)
        for (const [unit, job] of queued) this.emit('unit-queued', unit, job)
      })
      return expired
    })
  }

  /** Ends every lease `peerId` holds now (the node said it lost them, or was revoked). */
  async releasePeer (peerId: string): Promise<number> {
    const leases: string[] = []
    for await (const [unitId, lease] of this.store.leases.iterator()) if (lease.peerId === peerId) leases.push(unitId)
    if (leases.length === 0) return 0
    return await this.transact(async () => {
      const now = this.now()
      const batch = this.store.batch()
      const requeued: UnitRecord[] = []
      for (const unitId of leases) {
        const unit = await this.store.getUnit(unitId)
        if (unit?.state !== 'leased' || unit.lease?.peerId !== peerId) continue
        const back = transition(unit, 'queued', { lease: null }, now)
        batch.deleteLease(unitId).putUnit(back).enqueue(back)
          .event({ at: now, jobId: unit.jobId, unitId, kind: 'requeued', peerId, message: `lease of ${peerId} released; requeued to resume from step ${unit.resume.step}` })
        requeued.push(back)
      }
      this.commit(batch, true, () => { this.emit('events', batch.events) })
      return requeued.length
    })
  }

  // ------------------------------------------------------------ cancel

  /** Cancels a job and all its unfinished units; running units are told to stop on their next renewal. */
  async cancel (jobId: string, reason = 'cancelled by the submitter'): Promise<JobRecord> {
    return await this.transact(async () => {
      const job = await this.store.getJob(jobId)
      if (job === undefined) throw new JobNotFoundError(jobId)
      if (TERMINAL_JOB_STATES.has(job.state)) return job
      const now = this.now()
      const batch = this.store.batch()
      for (const unit of await this.store.unitsOfJob(jobId)) {
        if (unit.state === 'queued') batch.dequeue(unit)
        if (unit.state === 'leased') batch.deleteLease(unit.unitId)
        if (unit.state === 'queued' || unit.state === 'leased') batch.putUnit(transition(unit, 'cancelled', {}, now))
      }
      const cancelled: JobRecord = { ...job, state: 'cancelled', cancelReason: clip(reason), finishedAt: now, updatedAt: now }
      batch.putJob(cancelled).event({ at: now, jobId, kind: 'cancelled', message: `cancelled: ${clip(reason)}` })
      this.commit(batch, true, () => {
        this.emit('events', batch.events)
        this.emit('job-changed', cancelled)
      })
      return cancelled
    })
  }

  // ------------------------------------------------------------ reads

  async getJob (jobId: string): Promise<JobRecord> {
    const job = await this.store.getJob(jobId)
    if (job === undefined) throw new JobNotFoundError(jobId)
    return job
  }

  async listJobs (): Promise<JobRecord[]> {
    return (await this.store.allJobs()).sort((a, b) => a.createdAt - b.createdAt || a.replicaIndex - b.replicaIndex || a.id.localeCompare(b.id))
  }

  async units (jobId: string): Promise<UnitRecord[]> {
    return await this.store.unitsOfJob(jobId)
  }

  async queuedUnitIds (limit = Infinity): Promise<string[]> {
    const out: string[] = []
    for (const unitId of this.store.readyUnitIds()) {
      if (out.length >= limit) break
      out.push(unitId)
    }
    return out
  }
}

export type { TransitionBatch }

/** Whether a chunk's atom selection is exactly `keepAtoms`, in order. */
function sameAtoms (selection: ArrayLike<number> | null | undefined, keepAtoms: readonly number[]): boolean {
  if (selection == null || selection.length !== keepAtoms.length) return false
  for (let i = 0; i < keepAtoms.length; i++) if (selection[i] !== keepAtoms[i]) return false
  return true
}
