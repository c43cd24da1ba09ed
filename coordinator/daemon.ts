/**
 * The coordinator daemon: one libp2p peer serving claim, blob, frames and
 * control; the job queue on LevelDB under `<home>/coordinator-db`; a lease
 * sweeper; gossip offers; a peers table from heartbeats. Writes
 * `<home>/coordinator.json` `{ peerId, multiaddrs, network, privateNetwork?,
 * swarmKeyFile? }` so client commands and nodes with the same home need no
 * flags. Logs (event 'network-mismatch') a connected peer on another network.
 *
 * @example
 * ```ts
 * const daemon = await CoordinatorDaemon.start({ home: '/tmp/c', listen: ['/ip4/127.0.0.1/tcp/0'] })
 * console.log(daemon.multiaddrs)
 * await daemon.stop()
 * ```
 */
import '../src/polyfill.ts'
import fs from 'node:fs'
import path from 'node:path'
import { EventEmitter } from 'node:events'
import { logger } from '@libp2p/logger'
import { createPeer, type MdswarmPeer } from '../src/p2p/create-peer.ts'
import { loadOrCreatePrivateKey, peerIdStringOf } from '../src/p2p/identity.ts'
import { resolveHome } from '../src/p2p/home.ts'
import { DEFAULT_NETWORK, statusTopic } from '../src/p2p/topics.ts'
import { readSwarmKeyFile, resolveSwarmKeyFile } from '../src/p2p/swarm-key.ts'
import { reportForeignNetworks } from '../src/p2p/network-watch.ts'
import type { ConnectionLimits } from '../src/p2p/connection-limits.ts'
import type { InputLimits } from '../src/engine/limits.ts'
import { subscribeGossip } from '../src/p2p/gossip.ts'
import { validateStatusMessage } from '../src/wire/validate.ts'
import { BLOB_PROTOCOL, CLAIM_PROTOCOL, CONTROL_PROTOCOL, FRAMES_PROTOCOL, MAX_INBOUND_STREAMS_BY_PROTOCOL, MAX_OUTBOUND_STREAMS, second } from '../src/wire/constants.ts'
import { COORDINATOR_FILE_NAME, readCoordinatorInfoIfAny, type CoordinatorInfo } from '../src/client/coordinator-info.ts'
import { CoordinatorStore } from './store/coordinator-store.ts'
import { WorkQueue } from './queue/work-queue.ts'
import { DEFAULT_LEASE_TTL_MS, DEFAULT_MAX_ATTEMPTS, DEFAULT_SWEEP_INTERVAL_MS } from './queue/constants.ts'
import { codecChunkInspectorWith } from './ingest/codec-inspector.ts'
import { DEFAULT_RESULT_CHECKS, type ResultChecks } from './ingest/result-sanity.ts'
import { AllowList } from './security/allow-list.ts'
import { RefusalLog, type Refusal } from './security/refusal-log.ts'
import { RateLimiter, DEFAULT_BULK_RATE_LIMIT, DEFAULT_CLAIM_RATE_LIMIT, DEFAULT_CONTROL_RATE_LIMIT, type RateLimit } from './security/rate-limiter.ts'
import { PeerTable } from './peers/peer-table.ts'
import { claimStreamHandler } from './protocols/claim-handler.ts'
import { blobStreamHandler } from './protocols/blob-handler.ts'
import { framesStreamHandler } from './protocols/frames-handler.ts'
import { ControlService, controlStreamHandler } from './protocols/control-handler.ts'
import { OfferAnnouncer } from './gossip/offer-announcer.ts'
import { CoordinatorAlreadyRunningError, RecordedSwarmKeyMissingError } from './errors.ts'
import { DashboardServer } from './dashboard/dashboard-server.ts'

const log = logger('mdswarm:coordinator')

export const DEFAULT_COORDINATOR_LISTEN = '/ip4/0.0.0.0/tcp/4100'
export const COORDINATOR_DB_DIR = 'coordinator-db'
/** The client key of the coordinator's home lives here (src/client connect()); it is the allow-list's first admin. */
export const HOME_CLIENT_DIR = 'client'

export interface CoordinatorOptions {
  /** Home folder (flag > $MDSWARM_HOME > ~/.mdswarm). */
  readonly home?: string
  readonly listen?: string[]
  readonly network?: string
  /** Lease lifetime without renewal, ms (default 30 s). */
  readonly leaseTtlMs?: number
  /** Reported failures of one unit before its job fails (default 3). */
  readonly maxAttempts?: number
  /** How often expired leases are swept, ms. */
  readonly sweepIntervalMs?: number
  /** How often the top of the queue is re-offered on gossip, ms. */
  readonly offerIntervalMs?: number
  /**
   * Swarm key file (pnet); default: the key this home's coordinator last ran with (coordinator.json), else
   * `<home>/swarm.key` when present, else an open network.
   */
  readonly swarmKeyFile?: string
  /** Run an open network even though this home's coordinator last ran a private one (or the home has a swarm.key). */
  readonly open?: boolean
  /** Swarm key bytes (file contents); wins over swarmKeyFile. */
  readonly swarmKey?: Uint8Array
  /** Per-peer rate limits: claim protocol, control protocol, blob + frames messages. */
  readonly rateLimits?: { readonly claim?: RateLimit, readonly control?: RateLimit, readonly bulk?: RateLimit }
  /** Size limits on submitted inputs (atoms, XML and PDB bytes, steps). */
  readonly inputLimits?: Partial<InputLimits>
  /** Plausibility checks on uploaded frames. */
  readonly resultChecks?: Partial<ResultChecks>
  readonly connectionLimits?: ConnectionLimits
  /**
   * The web dashboard's address (absent: none). `fallbackToAnyPort`: when the
   * port is taken, listen on any free one instead of failing (the CLI's default address).
   */
  readonly dashboard?: { readonly host: string, readonly port: number, readonly fallbackToAnyPort?: boolean }
}

/** Where `mdswarm coordinator start` serves its dashboard unless told otherwise. */
export const DEFAULT_DASHBOARD = { host: '127.0.0.1', port: 4180 } as const

interface DaemonEvents {
  'lease-expired': [string[]]
  /** Something refused for security reasons (rate-limited in reporting: see RefusalLog). */
  'refusal': [Refusal]
  /** A connected node (or other peer) is on another network name: its heartbeats and our offers never reach each other. Once per peer and name. */
  'network-mismatch': [{ peerId: string, network: string }]
}

/** How long a peer on another network may take to switch (a node that learns the network from us) before it is reported, ms. */
export const NETWORK_MISMATCH_SETTLE_MS = 3 * second

export class CoordinatorDaemon extends EventEmitter<DaemonEvents> {
  readonly home: string
  readonly network: string
  readonly peer: MdswarmPeer
  readonly store: CoordinatorStore
  readonly queue: WorkQueue
  readonly peers: PeerTable
  /** Client peer IDs allowed on the control protocol. */
  readonly allowList: AllowList
  /** Counts of refusals by kind. */
  readonly refusals = new RefusalLog()
  private readonly options: CoordinatorOptions
  private readonly abort = new AbortController()
  private readonly announcer: OfferAnnouncer
  private readonly unsubscribeStatus: () => void
  private readonly stopNetworkWatch: () => void
  /** True when the network is private (pnet swarm key). */
  readonly privateNetwork: boolean
  /** Absolute path of the swarm key file read, if any (recorded in coordinator.json for clients of this home). */
  readonly swarmKeyFile: string | undefined
  private sweeper: NodeJS.Timeout | null = null
  private stopping: Promise<void> | null = null
  private dashboard: DashboardServer | null = null
  /** ms since the epoch. */
  readonly startedAt = Date.now()

  private constructor (parts: { home: string, network: string, peer: MdswarmPeer, store: CoordinatorStore, queue: WorkQueue, peers: PeerTable, offerIntervalMs: number, allowList: AllowList, options: CoordinatorOptions, privateNetwork: boolean, swarmKeyFile: string | undefined }) {
    super()
    this.privateNetwork = parts.privateNetwork
    this.swarmKeyFile = parts.swarmKeyFile
    this.allowList = parts.allowList
    this.options = parts.options
    this.refusals.on('refusal', (refusal) => { this.emit('refusal', refusal) })
    this.home = parts.home
    this.network = parts.network
    this.peer = parts.peer
    this.store = parts.store
    this.queue = parts.queue
    this.peers = parts.peers
    this.announcer = new OfferAnnouncer(this.peer, this.queue, this.network, { intervalMs: parts.offerIntervalMs, topUnits: 32 })
    this.unsubscribeStatus = subscribeGossip(this.peer, statusTopic(this.network), {
      validate: validateStatusMessage,
      // Nodes dial the coordinator, so a real node is always connected; heartbeats
      // relayed for peers we never met (possibly made-up keys) would only fill the table.
      onMessage: (status, from) => { if (this.peer.getConnections().some((c) => c.remotePeer.toString() === from)) this.peers.noteStatus(from, status) },
      onInvalid: (err, from) => { log('bad heartbeat from %s: %s', from, err.message) },
    })
    this.stopNetworkWatch = reportForeignNetworks(this.peer, this.network, (peerId, network) => {
      log('peer %s is on network %s, not %s', peerId, network, this.network)
      this.emit('network-mismatch', { peerId, network })
    }, NETWORK_MISMATCH_SETTLE_MS)
  }

  static async start (options: CoordinatorOptions = {}): Promise<CoordinatorDaemon> {
    const home = resolveHome(options.home)
    // What this home's coordinator last ran with carries over: a restart with fewer flags keeps its network name and,
    // above all, its swarm key (a private network must never turn open unnoticed).
    const previous = readCoordinatorInfoIfAny(home)
    const network = options.network ?? previous?.network ?? DEFAULT_NETWORK
    const recordedKeyFile = options.open !== true && previous?.privateNetwork === true ? previous.swarmKeyFile : undefined
    if (options.swarmKey === undefined && options.swarmKeyFile === undefined && recordedKeyFile !== undefined && !fs.existsSync(recordedKeyFile)) {
      throw new RecordedSwarmKeyMissingError(recordedKeyFile)
    }
    const leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS
    let store: CoordinatorStore
    try {
      store = await CoordinatorStore.open(path.join(home, COORDINATOR_DB_DIR))
    } catch (err) {
      const code = (err as { code?: string, cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code
      if (code === 'LEVEL_LOCKED' || /lock/i.test(String((err as { cause?: Error }).cause?.message ?? ''))) throw new CoordinatorAlreadyRunningError(home)
      throw err
    }
    let peer: MdswarmPeer | null = null
    try {
      const chunkInspector = codecChunkInspectorWith({ ...DEFAULT_RESULT_CHECKS, ...options.resultChecks })
      const queue = new WorkQueue(store, { leaseTtlMs, defaultMaxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, chunkInspector })
      const recovered = await queue.recoverLeases()
      if (recovered > 0) log('recovered %d lease(s); their nodes have %d ms to renew', recovered, leaseTtlMs)
      const swarmKeyFile = options.swarmKey !== undefined || (options.open === true && options.swarmKeyFile === undefined)
        ? undefined
        : resolveSwarmKeyFile({ home, file: options.swarmKeyFile, recorded: recordedKeyFile })
      const swarmKey = options.swarmKey ?? (swarmKeyFile !== undefined ? readSwarmKeyFile(swarmKeyFile) : undefined)
      // The first start allows the client key of this home (created here if absent): the user who started it.
      const allowList = await AllowList.open(store.db, peerIdStringOf(await loadOrCreatePrivateKey(path.join(home, HOME_CLIENT_DIR))))
      peer = await createPeer({
        privateKey: await loadOrCreatePrivateKey(home),
        listen: options.listen ?? [DEFAULT_COORDINATOR_LISTEN],
        network,
        role: 'coordinator',
        ...(swarmKey !== undefined ? { swarmKey } : {}),
        ...(options.connectionLimits !== undefined ? { connectionLimits: options.connectionLimits } : {}),
      })
      const peers = new PeerTable({ liveForMs: Math.max(3 * leaseTtlMs, 30 * second) })
      const daemon = new CoordinatorDaemon({ home, network, peer, store, queue, peers, offerIntervalMs: options.offerIntervalMs ?? 10 * second, allowList, options, privateNetwork: swarmKey !== undefined, swarmKeyFile })
      await daemon.serve(options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS)
      return daemon
    } catch (err) {
      try { await peer?.stop() } catch {}
      await store.close().catch(() => undefined)
      throw err
    }
  }

  get peerId (): string {
    return this.peer.peerId.toString()
  }

  /** The dashboard's URL (null when it is off). */
  get dashboardUrl (): string | null {
    return this.dashboard?.url ?? null
  }

  /** Listening addresses, each ending in /p2p/<peerId>. */
  get multiaddrs (): string[] {
    return this.peer.getMultiaddrs().map((ma) => ma.toString())
  }

  private async serve (sweepIntervalMs: number): Promise<void> {
    const signal = this.abort.signal
    const limits = this.options.rateLimits
    const bulkRateLimiter = new RateLimiter(limits?.bulk ?? DEFAULT_BULK_RATE_LIMIT)
    const deps = { queue: this.queue, peers: this.peers, store: this.store, signal, refusals: this.refusals, bulkRateLimiter, rateLimiter: new RateLimiter(limits?.claim ?? DEFAULT_CLAIM_RATE_LIMIT) }
    const control = new ControlService({
      queue: this.queue,
      peers: this.peers,
      signal,
      addressesOf: (peerId) => this.peer.getConnections().filter((c) => c.remotePeer.toString() === peerId).map((c) => c.remoteAddr.toString()),
      self: () => ({ peerId: this.peerId, role: 'coordinator', capabilities: null, running: [], nsPerDay: 0, lastHeartbeat: Date.now() }),
      selfAddresses: () => this.multiaddrs,
      allowList: this.allowList,
      rateLimiter: new RateLimiter(limits?.control ?? DEFAULT_CONTROL_RATE_LIMIT),
      refusals: this.refusals,
      ...(this.options.inputLimits !== undefined ? { inputLimits: this.options.inputLimits } : {}),
    })
    // Streams per connection, per protocol: more are reset when opened.
    const handlerOptions = (protocol: string) => ({ runOnLimitedConnection: false, maxInboundStreams: MAX_INBOUND_STREAMS_BY_PROTOCOL[protocol], maxOutboundStreams: MAX_OUTBOUND_STREAMS })
    await this.peer.handle(CLAIM_PROTOCOL, claimStreamHandler(deps), handlerOptions(CLAIM_PROTOCOL))
    await this.peer.handle(BLOB_PROTOCOL, blobStreamHandler(deps), handlerOptions(BLOB_PROTOCOL))
    await this.peer.handle(FRAMES_PROTOCOL, framesStreamHandler(deps), handlerOptions(FRAMES_PROTOCOL))
    await this.peer.handle(CONTROL_PROTOCOL, controlStreamHandler(control, signal), handlerOptions(CONTROL_PROTOCOL))
    if (this.options.dashboard !== undefined) this.dashboard = await this.startDashboard(control, this.options.dashboard)
    this.announcer.start()
    this.sweeper = setInterval(() => { void this.sweep() }, sweepIntervalMs)
    this.writeInfoFile()
  }

  private async startDashboard (control: ControlService, where: NonNullable<CoordinatorOptions['dashboard']>): Promise<DashboardServer> {
    const source = {
      control,
      info: () => ({ peerId: this.peerId, network: this.network, multiaddrs: this.multiaddrs, startedAt: this.startedAt }),
      refusals: () => this.refusals.counts,
    }
    try {
      return await DashboardServer.start({ host: where.host, port: where.port, source, changes: this.queue })
    } catch (err) {
      if (where.fallbackToAnyPort !== true || (err as { code?: string }).code !== 'EADDRINUSE') throw err
      log('dashboard port %d is taken; using any free port', where.port)
      return await DashboardServer.start({ host: where.host, port: 0, source, changes: this.queue })
    }
  }

  private async sweep (): Promise<void> {
    try {
      const expired = await this.queue.expireLeases()
      if (expired.length > 0) {
        log('requeued %d unit(s) after lease expiry', expired.length)
        this.emit('lease-expired', expired.map((u) => u.unitId))
      }
    } catch (err) {
      if (!this.abort.signal.aborted) log('lease sweep failed: %s', (err as Error).message)
    }
  }

  /** `<home>/coordinator.json`, written atomically. */
  private writeInfoFile (): void {
    const info: CoordinatorInfo = {
      peerId: this.peerId,
      multiaddrs: this.multiaddrs,
      network: this.network,
      ...(this.dashboard !== null ? { dashboard: this.dashboard.url } : {}),
      // Clients and nodes of this home then use the same key without flags (and say plainly when they have none).
      ...(this.privateNetwork ? { privateNetwork: true } : {}),
      ...(this.swarmKeyFile !== undefined ? { swarmKeyFile: this.swarmKeyFile } : {}),
    }
    const file = path.join(this.home, COORDINATOR_FILE_NAME)
    const tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`)
    fs.renameSync(tmp, file)
  }

  /** Stops serving, closes the peer and the database. Safe to call twice. */
  async stop (): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort(new Error('coordinator stopping'))
      if (this.sweeper !== null) clearInterval(this.sweeper)
      this.announcer.stop()
      try { await this.dashboard?.stop() } catch (err) { log('dashboard stop: %s', (err as Error).message) }
      try { this.unsubscribeStatus() } catch {}
      this.stopNetworkWatch()
      try { await this.peer.stop() } catch (err) { log('peer stop: %s', (err as Error).message) }
      await this.store.close()
    })()
    await this.stopping
  }
}
