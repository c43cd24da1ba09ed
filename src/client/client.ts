/**
 * The mdswarm client library: talks to a coordinator over the control
 * protocol. The `mdswarm` CLI is built on it.
 *
 * @example
 * ```ts
 * import { connect } from 'mdswarm'
 * const client = await connect({ home: '/tmp/swarm' })          // or { coordinator: '/ip4/…/tcp/4100/p2p/12D3…' }
 * const jobs = await client.submit({ systemXml, integratorXml, pdb, steps: 5000, reportEvery: 100, replicas: 10, seed: 1 })
 * client.on('progress', (job) => console.log(job.id, job.framesStored, '/', job.totalFrames))
 * const finished = await client.waitAll(jobs)
 * for await (const frame of jobs[0].frames()) console.log(frame.step, frame.potentialEnergy)
 * await client.close()
 * ```
 */
import '../polyfill.ts'
import path from 'node:path'
import { EventEmitter } from 'node:events'
import type { PeerId, Stream } from '@libp2p/interface'
import { createPeer, parseMultiaddr, type MdswarmPeer } from '../p2p/create-peer.ts'
import { loadOrCreatePrivateKey } from '../p2p/identity.ts'
import { resolveHome } from '../p2p/home.ts'
import { DEFAULT_NETWORK } from '../p2p/topics.ts'
import { resolveSwarmKey } from '../p2p/swarm-key.ts'
import { wireStream } from '../wire/framing.ts'
import { CONTROL_PROTOCOL, DIAL_TIMEOUT_MS, IDLE_STREAM_TIMEOUT_MS, REQUEST_TIMEOUT_MS, BULK_TIMEOUT_MS, second } from '../wire/constants.ts'
import { RequestChannel } from '../wire/request-channel.ts'
import { StreamReserve } from '../wire/stream-reserve.ts'
import { chunkFrames, decodeFrames } from '../trajectory/index.ts'
import { sha256Hex } from '../wire/hash.ts'
import type { Frame } from '../engine/frame.ts'
import { CONTROL_STREAM_MAX_BYTES, TERMINAL_JOB_STATES, type AllowedClientSummary, type ControlRequest, type ControlResponse, type JobStatus, type JobSummary, type PeerSummary, type SubmitRequestSpec } from './control-messages.ts'
import { validateControlResponse } from './control-validate.ts'
import { dialOrder, homeCoordinatorFor, readCoordinatorInfo } from './coordinator-info.ts'
import { explainDialFailure } from '../p2p/network-probe.ts'
import { PrivateNetworkError } from '../p2p/errors.ts'
import { CoordinatorError, CoordinatorUnreachableError, UnexpectedResponseError } from './errors.ts'

export interface ConnectOptions {
  /** Coordinator multiaddr (with /p2p/<id>); default: `<home>/coordinator.json`. */
  readonly coordinator?: string
  /** Home folder (flag > $MDSWARM_HOME > ~/.mdswarm): the client key lives in `<home>/client/`. */
  readonly home?: string
  /** Network name; default: coordinator.json's, else 'default'. */
  readonly network?: string
  /** Swarm key file of a private network; default: the key file the home's coordinator.json names, else `<home>/swarm.key` when present. */
  readonly swarmKeyFile?: string
}

export interface SubmitOptions {
  /** OpenMM System XML (text or bytes). */
  readonly systemXml: string | Uint8Array
  readonly integratorXml: string | Uint8Array
  readonly pdb: string | Uint8Array
  readonly stateXml?: string | Uint8Array
  readonly steps: number
  /** A frame every this many steps. */
  readonly reportEvery: number
  /** Steps per work unit (default: the whole job in one unit). */
  readonly segmentSteps?: number
  /** Jobs to create; replica i gets seed + i. */
  readonly replicas?: number
  readonly seed?: number
  readonly priority?: number
  readonly name?: string
  readonly engine?: 'builtin' | 'openmm' | 'any'
  /** OpenMM platform the job insists on (CUDA, OpenCL, CPU, Reference). */
  readonly platform?: string
  readonly gpu?: boolean
  readonly maxAttempts?: number
  /** Atom indices (0-based, into the PDB) kept in the trajectory; default all (see selectAtoms in src/formats/atom-selection.ts). */
  readonly keepAtoms?: readonly number[]
  /** Trajectory coordinate precision, nm (default 0.001, as XTC). */
  readonly precisionNm?: number
  /** Keep float32 positions bit for bit. */
  readonly lossless?: boolean
}

export interface WaitOptions {
  readonly signal?: AbortSignal
  /** Give up after the coordinator has been unreachable this long, ms (default 60 s). */
  readonly reconnectForMs?: number
}

export interface ClientEvents {
  /** A watched job changed (frames stored, steps done, state). */
  progress: [JobSummary]
  completed: [JobSummary]
  failed: [JobSummary]
  cancelled: [JobSummary]
}

/** One stored chunk of a job, decoded. */
export interface FrameChunk {
  readonly firstFrame: number
  readonly frames: Frame[]
  /** Indices (into the job's PDB) of the atoms the frames hold, or null when they hold all. */
  readonly atomSelection: Int32Array | null
}

/** One stored chunk of a job as the coordinator holds it (an encoded src/trajectory/ chunk). */
export interface EncodedChunk {
  readonly firstFrame: number
  readonly frameCount: number
  readonly data: Uint8Array
}

const encoder = new TextEncoder()

function toBytes (value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? encoder.encode(value) : value
}

function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason) }, { once: true })
  })
}

/** A submitted job: a thin handle on its id. */
export class JobHandle {
  readonly id: string
  readonly client: MdswarmClient
  /** The summary returned at submit (or the latest `wait` saw). */
  summary: JobSummary

  constructor (client: MdswarmClient, summary: JobSummary) {
    this.client = client
    this.id = summary.id
    this.summary = summary
  }

  async status (): Promise<JobStatus> { return await this.client.status(this.id) }
  /** Resolves with the final summary when the job is done, failed or cancelled (it does not throw for a failed job). */
  async wait (options?: WaitOptions): Promise<JobSummary> { return (await this.client.waitAll([this], options))[0] }
  frames (options?: { fromFrame?: number }): AsyncGenerator<Frame> { return this.client.frames(this.id, options) }
  async cancel (reason?: string): Promise<JobSummary> { return await this.client.cancel(this.id, reason) }
}

/** How long the rest of a stream the caller stopped reading may take to end, ms. */
const DRAIN_TIMEOUT_MS = 10 * second

/** Reads and drops what is left of `stream` until its end; aborts it when that takes too long. */
async function drainToEnd (ws: ReturnType<typeof wireStream>, stream: Stream): Promise<void> {
  try {
    const signal = AbortSignal.timeout(DRAIN_TIMEOUT_MS)
    while (await ws.readRaw(signal) !== null) { /* dropped */ }
  } catch (err) {
    stream.abort(err as Error)
  }
}

/** Rough size of a control request, bytes: payload uploads count their bytes, the rest is small. */
function controlRequestBytes (message: unknown): number {
  const bytes = (message as { bytes?: Uint8Array }).bytes
  return bytes instanceof Uint8Array ? bytes.byteLength + 1024 : 1024
}

export class MdswarmClient extends EventEmitter<ClientEvents> {
  readonly peer: MdswarmPeer
  readonly home: string
  private readonly fixedAddress: string | undefined
  private coordinatorPeerId: PeerId | null = null
  /** Payload hashes the coordinator confirmed it stores (it never drops them): a repeated submit skips asking. */
  private readonly storedBlobs = new Set<string>()
  /**
   * Requests and their answers share one control stream (a new stream costs a
   * protocol negotiation); one quiet for half the coordinator's idle timeout
   * is replaced, so a request never meets a stream the coordinator is closing.
   */
  private readonly control = new RequestChannel<ControlResponse>(CONTROL_PROTOCOL, async signal => await this.openStream(signal), validateControlResponse, {
    maxIdleMs: IDLE_STREAM_TIMEOUT_MS / 2,
    maxInFlightBytes: CONTROL_STREAM_MAX_BYTES,
    weigh: controlRequestBytes,
    wire: { maxMessageBytes: CONTROL_STREAM_MAX_BYTES }
  })
  /** Streams for requests answered by a stream of updates (watch, frames): one kept negotiated ahead. */
  private readonly streams = new StreamReserve(async signal => await this.openStream(signal), IDLE_STREAM_TIMEOUT_MS / 2)

  /** Whether this client's peer uses a swarm key (a private network). */
  private readonly hasSwarmKey: boolean

  constructor (peer: MdswarmPeer, home: string, fixedAddress: string | undefined, hasSwarmKey = false) {
    super()
    this.peer = peer
    this.home = home
    this.fixedAddress = fixedAddress
    this.hasSwarmKey = hasSwarmKey
  }

  /** The coordinator's addresses: the one given, or coordinator.json's (re-read, so a restarted coordinator is found). */
  addresses (): string[] {
    return this.fixedAddress !== undefined ? [this.fixedAddress] : dialOrder(readCoordinatorInfo(this.home).multiaddrs)
  }

  private async openStream (signal: AbortSignal): Promise<Stream> {
    if (this.coordinatorPeerId !== null && this.peer.getConnections(this.coordinatorPeerId).length > 0) {
      try {
        return await this.peer.dialProtocol(this.coordinatorPeerId, CONTROL_PROTOCOL, { signal })
      } catch {}
    }
    const addresses = this.addresses()
    let lastError: unknown = new Error('no addresses')
    for (const address of addresses) {
      try {
        const dialSignal = AbortSignal.any([signal, AbortSignal.timeout(DIAL_TIMEOUT_MS)])
        const connection = await this.peer.dial(parseMultiaddr(address), { signal: dialSignal })
        this.coordinatorPeerId = connection.remotePeer
        return await connection.newStream(CONTROL_PROTOCOL, { signal: dialSignal })
      } catch (err) {
        lastError = err
        if ((err as Error).name === 'InvalidMultiaddrError') throw err
      }
    }
    // A swarm key that does not match the coordinator's (or none) fails in the handshake with a cryptic error: say so plainly.
    const explained = addresses.length > 0 && !signal.aborted ? await explainDialFailure(addresses[0], { hasSwarmKey: this.hasSwarmKey }) : null
    if (explained !== null) throw explained
    throw new CoordinatorUnreachableError(addresses, lastError)
  }

  /** Sends one request on the long-lived control stream and returns the (non-error) response. */
  private async request (message: ControlRequest, timeoutMs = REQUEST_TIMEOUT_MS): Promise<ControlResponse> {
    const response = await this.control.request(message, AbortSignal.timeout(timeoutMs))
    if (response.type === 'error') throw new CoordinatorError(response.name, response.message)
    return response
  }

  /**
   * Sends one request and yields every response until the coordinator ends
   * the stream. A caller that stops early (it has what it needs) leaves the
   * rest to be read in the background, so the stream still ends cleanly.
   */
  private async * requestStream (message: ControlRequest, signal?: AbortSignal): AsyncGenerator<ControlResponse> {
    const stream = await this.streams.take(AbortSignal.any([AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...(signal !== undefined ? [signal] : [])]))
    const ws = wireStream(stream, { maxMessageBytes: CONTROL_STREAM_MAX_BYTES })
    let finished = false
    let failed = false
    try {
      await ws.write(message, AbortSignal.timeout(REQUEST_TIMEOUT_MS))
      await ws.close()
      while (true) {
        const readSignal = AbortSignal.any([AbortSignal.timeout(BULK_TIMEOUT_MS), ...(signal !== undefined ? [signal] : [])])
        const response = await ws.read(validateControlResponse, readSignal)
        if (response === null) break
        if (response.type === 'error') throw new CoordinatorError(response.name, response.message)
        yield response
      }
      finished = true
    } catch (err) {
      failed = true
      throw err
    } finally {
      if (!finished && (failed || signal?.aborted === true)) stream.abort(new Error('client stopped reading'))
      else if (!finished) void drainToEnd(ws, stream)
    }
  }

  private expect<T extends ControlResponse['type']> (response: ControlResponse, type: T, request: string): Extract<ControlResponse, { type: T }> {
    if (response.type !== type) throw new UnexpectedResponseError(request, response.type)
    return response as Extract<ControlResponse, { type: T }>
  }

  /** Uploads what the coordinator lacks of `payloads` (content-addressed); returns their hashes in order. */
  async uploadBlobs (payloads: readonly Uint8Array[]): Promise<string[]> {
    const hashes = payloads.map((bytes) => sha256Hex(bytes))
    if (hashes.every((hash) => this.storedBlobs.has(hash))) return hashes
    const { missing } = this.expect(await this.request({ type: 'blob-has', hashes: [...new Set(hashes)] }), 'blob-missing', 'blob-has')
    for (const hash of missing) {
      const bytes = payloads[hashes.indexOf(hash)]
      this.expect(await this.request({ type: 'blob-put', hash, bytes }, BULK_TIMEOUT_MS), 'blob-stored', 'blob-put')
    }
    for (const hash of hashes) this.storedBlobs.add(hash)
    return hashes
  }

  /** Submits a job (or `replicas` jobs); the inputs are stored once on the coordinator whatever the replica count. */
  async submit (options: SubmitOptions): Promise<JobHandle[]> {
    const payloads = [toBytes(options.systemXml), toBytes(options.integratorXml), toBytes(options.pdb), ...(options.stateXml !== undefined ? [toBytes(options.stateXml)] : [])]
    const [systemHash, integratorHash, pdbHash, stateHash] = await this.uploadBlobs(payloads)
    const spec: SubmitRequestSpec = {
      systemHash,
      integratorHash,
      pdbHash,
      ...(stateHash !== undefined ? { stateHash } : {}),
      steps: options.steps,
      reportEvery: options.reportEvery,
      ...(options.segmentSteps !== undefined ? { segmentSteps: options.segmentSteps } : {}),
      ...(options.replicas !== undefined ? { replicas: options.replicas } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
      ...(options.name !== undefined ? { name: options.name } : {}),
      ...(options.engine !== undefined ? { engine: options.engine } : {}),
      ...(options.platform !== undefined ? { platform: options.platform } : {}),
      ...(options.gpu !== undefined ? { gpu: options.gpu } : {}),
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
      ...(options.keepAtoms !== undefined ? { keepAtoms: [...options.keepAtoms] } : {}),
      ...(options.precisionNm !== undefined ? { precisionNm: options.precisionNm } : {}),
      ...(options.lossless === true ? { lossless: true } : {}),
    }
    let response: ControlResponse
    try {
      response = await this.request({ type: 'submit', spec }, BULK_TIMEOUT_MS)
    } catch (err) {
      // Payloads remembered as stored but gone (another coordinator at this address?): upload and submit again, once.
      if ((err as Error).name !== 'MissingBlobError' || this.storedBlobs.size === 0) throw err
      this.storedBlobs.clear()
      await this.uploadBlobs(payloads)
      response = await this.request({ type: 'submit', spec }, BULK_TIMEOUT_MS)
    }
    const { jobs } = this.expect(response, 'submitted', 'submit')
    return jobs.map((job) => new JobHandle(this, job))
  }

  /** A handle on an existing job id. */
  job (jobId: string, summary?: JobSummary): JobHandle {
    return new JobHandle(this, summary ?? ({ id: jobId } as JobSummary))
  }

  /** All jobs (or the ones named), oldest first. */
  async jobs (jobIds?: readonly string[]): Promise<JobSummary[]> {
    return [...this.expect(await this.request(jobIds === undefined ? { type: 'jobs' } : { type: 'jobs', jobIds }), 'jobs', 'jobs').jobs]
  }

  async status (jobId: string): Promise<JobStatus> {
    return this.expect(await this.request({ type: 'status', jobId }), 'status', 'status').status
  }

  async cancel (jobId: string, reason?: string): Promise<JobSummary> {
    return this.expect(await this.request(reason === undefined ? { type: 'cancel', jobId } : { type: 'cancel', jobId, reason }), 'cancelled', 'cancel').job
  }

  async peers (): Promise<PeerSummary[]> {
    return [...this.expect(await this.request({ type: 'peers' }), 'peers', 'peers').peers]
  }

  /** A payload by content hash (e.g. a job's PDB from `status().inputs.pdbHash`). */
  async fetchBlob (hash: string): Promise<Uint8Array> {
    return this.expect(await this.request({ type: 'blob-get', hash }, BULK_TIMEOUT_MS), 'blob', 'blob-get').bytes
  }

  /**
   * The stored chunks of a job in frame order, decoded, starting with the one
   * that holds `fromFrame`. Works for running jobs (what is stored so far) and
   * finished ones. `onEnd` receives the coordinator's closing summary.
   */
  async * chunks (jobId: string, options: { fromFrame?: number, signal?: AbortSignal, onEnd?: (end: Extract<ControlResponse, { type: 'end' }>) => void } = {}): AsyncGenerator<FrameChunk> {
    for await (const encoded of this.encodedChunks(jobId, options)) {
      const chunk = decodeFrames(encoded.data)
      if (chunk.frameCount !== encoded.frameCount) throw new UnexpectedResponseError('fetch', `chunk of ${chunk.frameCount} frames announced as ${encoded.frameCount}`)
      yield { firstFrame: encoded.firstFrame, frames: chunkFrames(chunk), atomSelection: chunk.atomSelection }
    }
  }

  /**
   * The stored chunks of a job as encoded bytes, without decoding them (to
   * write an .mdsw file as it is, or to relay them); otherwise as `chunks`.
   */
  async * encodedChunks (jobId: string, options: { fromFrame?: number, signal?: AbortSignal, onEnd?: (end: Extract<ControlResponse, { type: 'end' }>) => void } = {}): AsyncGenerator<EncodedChunk> {
    const request: ControlRequest = options.fromFrame !== undefined ? { type: 'fetch', jobId, fromFrame: options.fromFrame } : { type: 'fetch', jobId }
    for await (const response of this.requestStream(request, options.signal)) {
      if (response.type === 'chunk') {
        yield { firstFrame: response.firstFrame, frameCount: response.frameCount, data: response.data }
      } else if (response.type === 'end') {
        // read on to the coordinator's clean end of stream
        options.onEnd?.(response)
      } else {
        throw new UnexpectedResponseError('fetch', response.type)
      }
    }
  }

  /** The stored frames of a job in order, from `fromFrame` (default 0). */
  async * frames (jobId: string, options: { fromFrame?: number, signal?: AbortSignal } = {}): AsyncGenerator<Frame> {
    const fromFrame = options.fromFrame ?? 0
    for await (const chunk of this.chunks(jobId, options)) {
      for (let k = 0; k < chunk.frames.length; k++) if (chunk.firstFrame + k >= fromFrame) yield chunk.frames[k]
    }
  }

  /**
   * Waits until every job is done, failed or cancelled, emitting `progress`
   * on each change and `completed` / `failed` / `cancelled` once per job.
   * Rides out a coordinator restart (reconnects for `reconnectForMs`).
   * Resolves with the final summaries in the order given.
   */
  async waitAll (jobs: ReadonlyArray<JobHandle | string>, options: WaitOptions = {}): Promise<JobSummary[]> {
    const ids = jobs.map((job) => typeof job === 'string' ? job : job.id)
    const handles = new Map(jobs.filter((j): j is JobHandle => typeof j !== 'string').map((j) => [j.id, j]))
    const latest = new Map<string, JobSummary>()
    const reconnectForMs = options.reconnectForMs ?? 60 * second
    let unreachableSince: number | null = null
    const open = (): string[] => [...new Set(ids)].filter((id) => !TERMINAL_JOB_STATES.has(latest.get(id)?.state ?? 'queued'))
    while (open().length > 0) {
      try {
        for await (const response of this.requestStream({ type: 'watch', jobIds: open() }, options.signal)) {
          unreachableSince = null
          if (response.type !== 'update') throw new UnexpectedResponseError('watch', response.type)
          for (const job of response.jobs) this.noteUpdate(job, latest, handles)
          if (open().length === 0) break // the coordinator's closing message adds nothing
        }
      } catch (err) {
        if (options.signal?.aborted === true) throw options.signal.reason
        if (err instanceof CoordinatorError || err instanceof UnexpectedResponseError) throw err
        unreachableSince ??= Date.now()
        if (Date.now() - unreachableSince > reconnectForMs) throw err
        await sleep(1000, options.signal)
      }
    }
    return ids.map((id) => latest.get(id)!)
  }

  private noteUpdate (job: JobSummary, latest: Map<string, JobSummary>, handles: Map<string, JobHandle>): void {
    const before = latest.get(job.id)
    latest.set(job.id, job)
    const handle = handles.get(job.id)
    if (handle !== undefined) handle.summary = job
    this.emit('progress', job)
    if (before?.state === job.state) return
    if (job.state === 'done') this.emit('completed', job)
    else if (job.state === 'failed') this.emit('failed', job)
    else if (job.state === 'cancelled') this.emit('cancelled', job)
  }

  /** This client's peer ID: what a coordinator's allow-list holds (`mdswarm coordinator allow PEERID`). */
  get peerId (): string { return this.peer.peerId.toString() }

  /** Adds a client to the coordinator's allow-list (admins only); `admin` lets it change the list too. */
  async allowClient (peerId: string, options: { admin?: boolean } = {}): Promise<{ clients: AllowedClientSummary[], changed: boolean }> {
    const response = this.expect(await this.request(options.admin !== undefined ? { type: 'allow', peerId, admin: options.admin } : { type: 'allow', peerId }), 'allowed', 'allow')
    return { clients: [...response.clients], changed: response.changed }
  }

  /** Removes a client from the coordinator's allow-list (admins only); `changed` is false when it was not listed. */
  async revokeClient (peerId: string): Promise<{ clients: AllowedClientSummary[], changed: boolean }> {
    const response = this.expect(await this.request({ type: 'revoke', peerId }), 'allowed', 'revoke')
    return { clients: [...response.clients], changed: response.changed }
  }

  /** The coordinator's allow-list. */
  async allowedClients (): Promise<AllowedClientSummary[]> {
    return [...this.expect(await this.request({ type: 'list-allowed' }), 'allowed', 'list-allowed').clients]
  }

  /** Stops the client's peer. */
  async close (): Promise<void> {
    this.control.close()
    this.streams.close()
    await this.peer.stop()
  }
}

/** Connects to a coordinator: the address given, or the one in `<home>/coordinator.json`. */
export async function connect (options: ConnectOptions = {}): Promise<MdswarmClient> {
  const home = resolveHome(options.home)
  if (options.coordinator !== undefined) parseMultiaddr(options.coordinator)
  // No address given: the home's coordinator.json must exist (readCoordinatorInfo says how to fix it when not).
  const homeCoordinator = options.coordinator === undefined ? readCoordinatorInfo(home) : homeCoordinatorFor(home, options.coordinator)
  const network = options.network ?? homeCoordinator?.network ?? DEFAULT_NETWORK
  // --swarm-key, else the key file the home's coordinator recorded, else <home>/swarm.key.
  const swarmKey = resolveSwarmKey({ home, file: options.swarmKeyFile, recorded: homeCoordinator?.swarmKeyFile })
  if (homeCoordinator?.privateNetwork === true && swarmKey === undefined) throw new PrivateNetworkError(dialOrder(homeCoordinator.multiaddrs)[0] ?? homeCoordinator.peerId)
  // The client has its own key (the coordinator of the same home has another), stable for allow-lists.
  const privateKey = await loadOrCreatePrivateKey(path.join(home, 'client'))
  const peer = await createPeer({ privateKey, listen: [], network, role: 'client', ...(swarmKey !== undefined ? { swarmKey } : {}) })
  return new MdswarmClient(peer, home, options.coordinator, swarmKey !== undefined)
}
