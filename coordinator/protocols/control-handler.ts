/**
 * `/mdswarm/control/1`: what clients (the CLI, the library) ask of the
 * coordinator — upload payloads, submit, list, status, cancel, peers, fetch
 * frames, watch progress. Message types in src/client/control-messages.ts.
 * Errors a client can act on come back as `{ type: 'error', name, message }`.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { serveStream } from '../../src/wire/serve.ts'
import { wireStream } from '../../src/wire/framing.ts'
import { BULK_TIMEOUT_MS, second } from '../../src/wire/constants.ts'
import { CONTROL_STREAM_MAX_BYTES, TERMINAL_JOB_STATES, type ControlRequest, type ControlResponse, type JobStatus, type JobSummary, type PeerSummary } from '../../src/client/control-messages.ts'
import { validateControlRequest } from '../../src/client/control-validate.ts'
import type { WorkQueue } from '../queue/work-queue.ts'
import type { PeerTable, PeerEntry } from '../peers/peer-table.ts'
import type { JobRecord, UnitRecord } from '../store/records.ts'
import { blobHash } from '../store/blob-hash.ts'
import { explainUnmatched } from '../queue/matching.ts'
import { prepareSubmission } from '../submit/prepare-submission.ts'
import { toJobEvent, toJobSummary, toUnitSummary } from '../views/job-summary.ts'
import type { AllowList } from '../security/allow-list.ts'
import type { RateLimiter } from '../security/rate-limiter.ts'
import type { RefusalLog } from '../security/refusal-log.ts'
import { AdminRequiredError, ClientNotAllowedError, RateLimitedError } from '../security/errors.ts'
import { KiB } from '../../src/wire/constants.ts'
import type { InputLimits } from '../../src/engine/limits.ts'

const log = logger('mdswarm:coordinator:control')

/** Watch streams send an update at least this often (also how a vanished client is noticed). */
const WATCH_KEEPALIVE_MS = 5 * second
/**
 * A change to a watched job goes out at once (after the current turn of the
 * event loop) when the stream has been quiet for this long, ms; changes that
 * come faster are gathered into one update per this interval (and while an
 * update is being written), so a busy stream batches without adding latency
 * to a lone change. A job that reaches its end (done, failed, cancelled) goes
 * out without that spacing: a client waiting on it learns at once.
 */
const WATCH_MIN_SPACING_MS = 20

export interface ControlHandlerDeps {
  readonly queue: WorkQueue
  readonly peers: PeerTable
  readonly signal: AbortSignal
  /** Live connection addresses of a peer. */
  readonly addressesOf: (peerId: string) => string[]
  /** The coordinator's own entry in `peers`. */
  readonly self: () => PeerEntry
  readonly selfAddresses: () => string[]
  /** Who may use this protocol at all (and who may change the list). */
  readonly allowList: AllowList
  /** Control requests per client peer. */
  readonly rateLimiter: RateLimiter
  readonly refusals: RefusalLog
  /** Size limits on submitted inputs (default: the engine's DEFAULT_INPUT_LIMITS). */
  readonly inputLimits?: Partial<InputLimits>
}

/**
 * Largest message read from a client that is not on the allow-list: enough
 * for any request it could make, far below CONTROL_STREAM_MAX_BYTES, so a
 * stranger cannot make the coordinator buffer a 64 MiB upload only to refuse it.
 */
export const UNLISTED_CLIENT_MAX_MESSAGE_BYTES = 64 * KiB

export class ControlService {
  private readonly deps: ControlHandlerDeps
  /** Control streams open now, per client peer: a revoked client's are cut at once (a watch would otherwise go on). */
  private readonly openStreams = new Map<string, Set<Stream>>()

  constructor (deps: ControlHandlerDeps) {
    this.deps = deps
  }

  private get queue (): WorkQueue { return this.deps.queue }

  /** The job as clients see it, with what it waits for when no node can run it. */
  async summarize (job: JobRecord): Promise<JobSummary> {
    if (TERMINAL_JOB_STATES.has(job.state)) return toJobSummary(job)
    const unit = await this.queue.store.getUnit(`${job.id}.${job.currentSegment}`)
    const units = unit === undefined ? [] : [unit]
    let waiting: string | undefined
    if (unit?.state === 'queued') waiting = explainUnmatched(job.requirements, this.deps.peers.liveNodes().map((n) => n.capabilities)) ?? undefined
    return toJobSummary(job, units, waiting)
  }

  /** Summaries of the given jobs (all, oldest first, when absent). */
  async jobSummaries (jobIds?: readonly string[]): Promise<JobSummary[]> {
    const jobs = jobIds === undefined ? await this.queue.listJobs() : await Promise.all(jobIds.map(async (id) => await this.queue.getJob(id)))
    return await Promise.all(jobs.map(async (job) => await this.summarize(job)))
  }

  /** One job in full: summary, inputs, units, the latest 200 events. */
  async jobStatus (jobId: string): Promise<JobStatus> {
    const job = await this.queue.getJob(jobId)
    const units: UnitRecord[] = await this.queue.units(job.id)
    const events = await this.queue.store.eventsOfJob(job.id, 200)
    return { job: await this.summarize(job), inputs: job.payload, units: units.map(toUnitSummary), events: events.map(toJobEvent) }
  }

  /** Every peer the coordinator knows, itself first, with the units each holds. */
  async peerSummaries (): Promise<PeerSummary[]> {
    const leasedBy = new Map<string, string[]>()
    for await (const [unitId, lease] of this.queue.store.leases.iterator()) {
      const list = leasedBy.get(lease.peerId) ?? []
      list.push(unitId)
      leasedBy.set(lease.peerId, list)
    }
    const self = this.deps.self()
    const summaries = this.deps.peers.summaries(this.deps.addressesOf, [self])
    return summaries.map((p) => {
      if (p.peerId === self.peerId) return { ...p, addresses: this.deps.selfAddresses(), connected: true }
      const leased = leasedBy.get(p.peerId)
      return leased === undefined ? p : { ...p, running: [...new Set([...p.running, ...leased])] }
    })
  }

  get allowList (): AllowList { return this.deps.allowList }

  /** Notes an open control stream of `peerId`; the returned function forgets it. */
  track (peerId: string, stream: Stream): () => void {
    let streams = this.openStreams.get(peerId)
    if (streams === undefined) { streams = new Set(); this.openStreams.set(peerId, streams) }
    streams.add(stream)
    return () => {
      streams.delete(stream)
      if (streams.size === 0 && this.openStreams.get(peerId) === streams) this.openStreams.delete(peerId)
    }
  }

  /** Aborts every control stream of `peerId` but `except` (the one asking). */
  private cutStreams (peerId: string, except: Stream): void {
    for (const stream of this.openStreams.get(peerId) ?? []) {
      if (stream !== except) stream.abort(new ClientNotAllowedError(peerId, this.deps.self().peerId))
    }
  }

  /** Throws ClientNotAllowedError unless `clientPeerId` is on the allow-list (and logs the refusal). */
  checkAllowed (clientPeerId: string, what: string): void {
    if (this.deps.allowList.isAllowed(clientPeerId)) return
    this.deps.refusals.note('not-allowed', clientPeerId, `control request '${what}' from a client not on the allow-list`)
    throw new ClientNotAllowedError(clientPeerId, this.deps.self().peerId)
  }

  /** Waits for the client's rate-limit token; throws RateLimitedError when it floods. */
  async checkRate (clientPeerId: string, what: string): Promise<void> {
    if (await this.deps.rateLimiter.take(clientPeerId, this.deps.signal)) return
    this.deps.refusals.note('rate-limited', clientPeerId, `control request '${what}'`)
    throw new RateLimitedError('control', this.deps.rateLimiter.limit.ratePerSecond)
  }

  private checkAdmin (clientPeerId: string, what: string): void {
    if (this.deps.allowList.isAdmin(clientPeerId)) return
    this.deps.refusals.note('not-admin', clientPeerId, `'${what}' from a client that is not an admin`)
    throw new AdminRequiredError(clientPeerId)
  }

  async handle (clientPeerId: string, request: ControlRequest, stream: Stream): Promise<ControlResponse | undefined> {
    this.checkAllowed(clientPeerId, request.type)
    await this.checkRate(clientPeerId, request.type)
    switch (request.type) {
      case 'allow': {
        this.checkAdmin(clientPeerId, 'allow')
        const before = this.deps.allowList.list().find((c) => c.peerId === request.peerId)
        const client = await this.deps.allowList.allow(request.peerId, { by: clientPeerId, ...(request.admin !== undefined ? { admin: request.admin } : {}) })
        log('%s allowed %s%s', clientPeerId, client.peerId, client.admin ? ' (admin)' : '')
        return { type: 'allowed', clients: this.deps.allowList.list(), changed: before === undefined || before.admin !== client.admin }
      }
      case 'revoke': {
        this.checkAdmin(clientPeerId, 'revoke')
        const removed = await this.deps.allowList.revoke(request.peerId)
        if (removed) log('%s revoked %s', clientPeerId, request.peerId)
        if (removed) this.cutStreams(request.peerId, stream)
        return { type: 'allowed', clients: this.deps.allowList.list(), changed: removed }
      }
      case 'list-allowed':
        return { type: 'allowed', clients: this.deps.allowList.list(), changed: false }
      case 'blob-has': {
        const missing: string[] = []
        for (const hash of request.hashes) if ((await this.queue.store.blobs.get(hash)) === undefined) missing.push(hash)
        return { type: 'blob-missing', missing }
      }
      case 'blob-put': {
        const actual = blobHash(request.bytes)
        if (actual !== request.hash) return { type: 'error', name: 'BlobHashMismatchError', message: `The uploaded bytes hash to ${actual}, not ${request.hash}.` }
        if ((await this.queue.store.blobs.get(request.hash)) === undefined) await this.queue.store.batch().putBlob(request.hash, request.bytes).write({ sync: true })
        return { type: 'blob-stored', hash: request.hash }
      }
      case 'blob-get': {
        const bytes = await this.queue.store.blobs.get(request.hash)
        if (bytes === undefined) return { type: 'error', name: 'BlobNotFoundError', message: `The coordinator has no payload ${request.hash}.` }
        return { type: 'blob', hash: request.hash, bytes }
      }
      case 'submit': {
        const submission = await prepareSubmission(this.queue.store, request.spec, clientPeerId, this.deps.inputLimits)
        const jobs = await this.queue.submit(submission)
        log('%s submitted %d job(s)', clientPeerId, jobs.length)
        return { type: 'submitted', jobs: await Promise.all(jobs.map(async (job) => await this.summarize(job))) }
      }
      case 'jobs':
        return { type: 'jobs', jobs: await this.jobSummaries(request.jobIds) }
      case 'status':
        return { type: 'status', status: await this.jobStatus(request.jobId) }
      case 'cancel':
        return { type: 'cancelled', job: await this.summarize(await this.queue.cancel(request.jobId, request.reason)) }
      case 'peers':
        return { type: 'peers', peers: await this.peerSummaries() }
      case 'fetch':
        await this.streamFrames(request.jobId, request.fromFrame ?? 0, stream)
        return undefined
      case 'watch':
        await this.streamUpdates(request.jobIds, stream)
        return undefined
    }
  }

  private async streamFrames (jobId: string, fromFrame: number, stream: Stream): Promise<void> {
    const job = await this.queue.getJob(jobId)
    const ws = wireStream(stream)
    let sent = 0
    for await (const chunk of this.queue.readChunks(jobId, fromFrame)) {
      await ws.write({ type: 'chunk', firstFrame: chunk.firstFrame, frameCount: chunk.frameCount, data: chunk.data } satisfies ControlResponse, AbortSignal.any([AbortSignal.timeout(BULK_TIMEOUT_MS), this.deps.signal]))
      sent = chunk.firstFrame + chunk.frameCount
    }
    const latest = await this.queue.getJob(jobId)
    const end: ControlResponse = { type: 'end', frames: Math.max(0, sent - fromFrame), totalFrames: job.totalFrames, complete: latest.state === 'done' && sent >= latest.totalFrames, state: latest.state }
    await ws.write(end, AbortSignal.any([AbortSignal.timeout(BULK_TIMEOUT_MS), this.deps.signal]))
  }

  private async streamUpdates (jobIds: readonly string[], stream: Stream): Promise<void> {
    const ws = wireStream(stream)
    const watched = new Set(jobIds)
    const jobs = await Promise.all(jobIds.map(async (id) => await this.queue.getJob(id)))
    const open = new Set(jobs.filter((j) => !TERMINAL_JOB_STATES.has(j.state)).map((j) => j.id))
    const changed = new Map<string, JobRecord>()
    let wake: (() => void) | null = null
    let stopWaiting: (() => void) | null = null
    let lastWriteAt = 0
    /** A watched job ended since the last update: send without waiting for the spacing. */
    let ended = false
    const onChange = (job: JobRecord): void => {
      if (!watched.has(job.id)) return
      changed.set(job.id, job)
      if (TERMINAL_JOB_STATES.has(job.state)) ended = true
      wake?.()
    }
    let streamClosed = false
    const onAbort = (): void => { stopWaiting?.() }
    const onClose = (): void => { streamClosed = true; stopWaiting?.() }
    this.queue.on('job-changed', onChange)
    this.deps.signal.addEventListener('abort', onAbort, { once: true })
    stream.addEventListener('close', onClose, { once: true })
    try {
      await ws.write({ type: 'update', jobs: await Promise.all(jobs.map(async (j) => await this.summarize(j))) } satisfies ControlResponse, AbortSignal.timeout(BULK_TIMEOUT_MS))
      while (open.size > 0 && !this.deps.signal.aborted && !streamClosed) {
        await new Promise<void>((resolve) => {
          const soon = (): void => {
            const wait = ended ? 0 : lastWriteAt + WATCH_MIN_SPACING_MS - performance.now()
            if (wait > 0) setTimeout(resolve, wait)
            else setImmediate(resolve)
          }
          if (changed.size > 0) { soon(); return }
          const timer = setTimeout(resolve, WATCH_KEEPALIVE_MS)
          wake = () => { clearTimeout(timer); wake = null; soon() }
          stopWaiting = () => { clearTimeout(timer); resolve() }
        })
        wake = null
        stopWaiting = null
        if (streamClosed) break
        // Running jobs also change through renewals (steps done), which do not emit: refresh them on every keepalive.
        // A change carries the job as just written: no need to read it again.
        const latest = changed.size > 0 ? [...changed.values()] : await Promise.all([...open].map(async (id) => await this.queue.getJob(id)))
        changed.clear()
        ended = false
        for (const job of latest) if (TERMINAL_JOB_STATES.has(job.state)) open.delete(job.id)
        await ws.write({ type: 'update', jobs: await Promise.all(latest.map(async (j) => await this.summarize(j))) } satisfies ControlResponse, AbortSignal.timeout(BULK_TIMEOUT_MS))
        lastWriteAt = performance.now()
      }
    } finally {
      this.queue.off('job-changed', onChange)
      this.deps.signal.removeEventListener('abort', onAbort)
      stream.removeEventListener('close', onClose)
    }
  }
}

function errorResponse (err: unknown): ControlResponse {
  const e = err instanceof Error ? err : new Error(String(err))
  return { type: 'error', name: e.name, message: e.message }
}

export function controlStreamHandler (service: ControlService, signal: AbortSignal) {
  return async (stream: Stream, connection: Connection): Promise<void> => {
    const peerId = connection.remotePeer.toString()
    const listed = service.allowList.isAllowed(peerId)
    const forget = service.track(peerId, stream)
    try {
      await serveStreamOf(service, peerId, stream, listed, signal)
    } finally {
      forget()
    }
  }
}

/** Serves one control stream of `peerId` (`listed`: on the allow-list when it opened). */
async function serveStreamOf (service: ControlService, peerId: string, stream: Stream, listed: boolean, signal: AbortSignal): Promise<void> {
  await serveStream(stream, {
    maxMessageBytes: listed ? CONTROL_STREAM_MAX_BYTES : UNLISTED_CLIENT_MAX_MESSAGE_BYTES,
    validate: validateControlRequest,
    onMessage: async (request: ControlRequest) => {
      try {
        return await service.handle(peerId, request, stream)
      } catch (err) {
        log('control %s from %s failed: %s', request.type, peerId, (err as Error).message)
        return errorResponse(err)
      }
    },
    onInvalid: (err: Error): ControlResponse => {
      // A stranger learns only that it is not allowed, whatever it sent.
      try { service.checkAllowed(peerId, 'malformed') } catch (notAllowed) { return errorResponse(notAllowed) }
      return errorResponse(err)
    },
    onError: (err) => log('control stream from %s ended: %s', peerId, err.message),
    writeTimeoutMs: BULK_TIMEOUT_MS,
    signal,
  })
}
