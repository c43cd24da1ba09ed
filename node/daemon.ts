/**
 * The node daemon: joins the network with a stable peer key from its home,
 * dials its coordinator (redialling when it goes away), claims units that
 * fit its capabilities, runs up to `concurrency` of them at once in worker
 * threads, persists their frames in its outbox before sending them, renews
 * leases, and publishes heartbeats. In-flight work survives a restart: the
 * outbox says what to resend and where to resume.
 *
 * @example
 * const daemon = await NodeDaemon.start({ home: '/tmp/node1', coordinator: '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...', concurrency: 2 })
 * daemon.on('unit-completed', ({ unitId }) => console.log('done', unitId))
 * await daemon.stop()
 */
import '../src/polyfill.ts'
import { EventEmitter } from 'node:events'
import { logger } from '@libp2p/logger'
import { advertiseNetwork, createPeer, withdrawNetwork, type MdswarmPeer } from '../src/p2p/create-peer.ts'
import { loadOrCreatePrivateKey } from '../src/p2p/identity.ts'
import { DEFAULT_NETWORK, offersTopic, statusTopic } from '../src/p2p/topics.ts'
import { subscribeGossip } from '../src/p2p/gossip.ts'
import { validateOfferMessage } from '../src/wire/validate.ts'
import type { Capabilities, Lease, OfferMessage, UnitSpec } from '../src/wire/messages.ts'
import { detectCapabilities } from './capabilities.ts'
import { CoordinatorLink } from './link/coordinator-link.ts'
import { HeldUnits, type HeldUnit } from './held-units.ts'
import { Outbox } from './outbox/outbox.ts'
import { PayloadCache } from './payload-cache.ts'
import { executeUnit } from './runner/unit-execution.ts'
import { WorkerPool } from './runner/worker-pool.ts'
import type { UnitOutcome } from './runner/unit-runner.ts'
import type { EnginePreferences } from './runner/engine-choice.ts'
import { Uploader, type UnitReport } from './upload/uploader.ts'
import { LeaseKeeper } from './claim/lease-keeper.ts'
import { ClaimLoop, type ClaimDemand } from './claim/claim-loop.ts'
import { PrefetchPolicy } from './claim/prefetch-policy.ts'
import { Heartbeat, DEFAULT_HEARTBEAT_INTERVAL_MS } from './heartbeat.ts'
import { offerFits } from './offer-fit.ts'

const log = logger('mdswarm:node')

export interface NodeDaemonOptions {
  /** The node's home (peer key, outbox, payload cache). */
  readonly home: string
  /** The coordinator's multiaddr, ending in /p2p/<peer id>. */
  readonly coordinator: string
  /** Units run at once (default: one per CPU core). */
  readonly concurrency?: number
  /**
   * Network name. Absent: the node starts on 'default' and switches to the
   * coordinator's network when it connects ('network-adopted'); given and
   * different from the coordinator's: 'network-mismatch'.
   */
  readonly network?: string
  /** Addresses to listen on (default: loopback, any port). The node also dials out, so it works behind NAT. */
  readonly listen?: string[]
  readonly swarmKey?: Uint8Array
  readonly heartbeatIntervalMs?: number
  readonly claimPollIntervalMs?: number
  /** A chunk closes after this many frames ... */
  readonly maxFramesPerChunk?: number
  /** ... or this much wall time, ms. */
  readonly maxChunkMs?: number
  /** Which engine and OpenMM settings to use for units that leave the choice to the node. */
  readonly enginePreferences?: EnginePreferences
}

export interface NodeDaemonEvents {
  'connected': []
  'disconnected': []
  /** `fromStep`: where this run begins (a checkpoint's step when resuming). */
  'unit-started': [{ unitId: string, jobId: string, attempt: number, resumed: boolean, fromStep: number }]
  'unit-completed': [{ unitId: string, jobId: string, attempt: number, frames: number, engineMs: number }]
  'unit-failed': [{ unitId: string, jobId: string, attempt: number, errorName: string, reason: string }]
  /** The unit was stopped or its results refused (cancelled, lease lost). */
  'unit-abandoned': [{ unitId: string, jobId: string, attempt: number, reason: string }]
  /** Offers signed by a peer that is not our coordinator were ignored: the first from each peer, then every 100th. */
  'offers-ignored': [{ from: string, count: number, total: number }]
  /** No --network was given: the node switched to its coordinator's network (gossip topics; the DHT keeps `from`'s protocol until restart). */
  'network-adopted': [{ from: string, to: string }]
  /** The network given differs from the coordinator's: heartbeats and offers never reach each other (units still run). Once per connection. */
  'network-mismatch': [{ network: string, coordinatorNetwork: string }]
  /** Dials to the coordinator fail because of the swarm key (PrivateNetworkError, SwarmKeyMismatchError). */
  'refused': [{ errorName: string, message: string }]
}

/** Frames per trajectory chunk: the codec predicts each frame from earlier ones, so longer chunks compress better (a chunk also closes after DEFAULT_MAX_CHUNK_MS). */
export const DEFAULT_MAX_FRAMES_PER_CHUNK = 25
export const DEFAULT_MAX_CHUNK_MS = 1000

export class NodeDaemon extends EventEmitter<NodeDaemonEvents> {
  readonly peer: MdswarmPeer
  readonly capabilities: Capabilities
  readonly link: CoordinatorLink
  private readonly outbox: Outbox
  private readonly held = new HeldUnits()
  private readonly uploader: Uploader
  private readonly leases: LeaseKeeper
  private readonly claims: ClaimLoop
  private readonly heartbeat: Heartbeat
  private readonly executions = new Set<Promise<void>>()
  /** Units whose worker runs now, with when and from which step it began. */
  private readonly executing = new Map<HeldUnit, { startedAtMs: number, startStep: number }>()
  /** Leased units waiting for a free slot (claim-ahead), oldest first; their payloads are fetched meanwhile. */
  private readonly waiting: Array<{ held: HeldUnit, resumed: boolean }> = []
  private readonly prefetch = new PrefetchPolicy()
  private readonly pool: WorkerPool
  private readonly executionDeps: Parameters<typeof executeUnit>[1]
  private unsubscribeOffers: (() => void) | null = null
  private currentNetwork: string
  /** True when the network was given (options.network): never switched, only reported when it differs. */
  private readonly networkGiven: boolean
  private networkSwitch: Promise<void> = Promise.resolve()
  /** The coordinator network last reported as a mismatch on this connection (reported once). */
  private reportedMismatch: string | null = null
  private stopping: Promise<void> | null = null
  private begun = false

  private constructor (peer: MdswarmPeer, outbox: Outbox, options: NodeDaemonOptions) {
    super()
    this.peer = peer
    this.outbox = outbox
    this.capabilities = detectCapabilities({
      concurrency: options.concurrency,
      ...(options.enginePreferences?.python !== undefined ? { openmm: { python: options.enginePreferences.python } } : {})
    })
    this.link = new CoordinatorLink(peer, options.coordinator, { hasSwarmKey: options.swarmKey !== undefined })
    const network = options.network ?? DEFAULT_NETWORK
    this.currentNetwork = network
    this.networkGiven = options.network !== undefined
    const abandon = async (held: HeldUnit, reason: string): Promise<void> => { await this.abandon(held, reason) }
    this.uploader = new Uploader({
      link: this.link,
      outbox,
      held: this.held,
      abandon,
      onReported: (held, report) => { this.onReported(held, report) }
    })
    this.leases = new LeaseKeeper({ link: this.link, held: this.held, abandon })
    this.claims = new ClaimLoop({
      link: this.link,
      capabilities: this.capabilities,
      ...(options.enginePreferences !== undefined ? { enginePreferences: options.enginePreferences } : {}),
      demand: () => this.claimDemand(),
      onLease: async (lease, unit) => { await this.takeLease(lease, unit) },
      pollIntervalMs: options.claimPollIntervalMs
    })
    this.heartbeat = new Heartbeat(peer, statusTopic(network), this.capabilities, this.held, options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS)
    this.pool = new WorkerPool({ maxIdle: this.capabilities.concurrency })
    this.executionDeps = {
      outbox,
      pool: this.pool,
      capabilities: this.capabilities,
      cache: new PayloadCache(options.home),
      fetchBlob: async hash => await this.link.blobGet(hash),
      maxFramesPerChunk: options.maxFramesPerChunk ?? DEFAULT_MAX_FRAMES_PER_CHUNK,
      maxChunkMs: options.maxChunkMs ?? DEFAULT_MAX_CHUNK_MS,
      onChunkStored: held => { this.uploader.wake(held.unitId) },
      onEngineIdle: held => { this.onEngineIdle(held) },
      onSettled: (held, outcome) => { this.onSettled(held, outcome) }
    }
    this.link.on('connected', () => {
      log('connected to coordinator %s', this.link.coordinatorPeerIdString)
      this.leases.renewNow()
      this.uploader.wake()
      this.claims.wake()
      this.emit('connected')
    })
    this.link.on('disconnected', () => {
      log('coordinator %s went away; redialling', this.link.coordinatorPeerIdString)
      this.reportedMismatch = null
      this.emit('disconnected')
    })
    this.link.on('network', coordinatorNetwork => { this.onCoordinatorNetwork(coordinatorNetwork) })
    this.link.on('refused', err => {
      log('coordinator refused: %s', err.message)
      this.emit('refused', { errorName: err.name, message: err.message })
    })
    this.subscribeOffers(network)
  }

  /** The network name the node is on now (its coordinator's when none was given). */
  get network (): string { return this.currentNetwork }

  private subscribeOffers (network: string): void {
    this.unsubscribeOffers?.()
    this.unsubscribeOffers = subscribeGossip<OfferMessage>(this.peer, offersTopic(network), {
      validate: validateOfferMessage,
      // Only our coordinator's offers count; others are dropped, not forwarded, and counted.
      acceptFrom: (from) => from === this.link.coordinatorPeerIdString,
      onUntrusted: (_offer, from) => { this.noteUntrustedOffer(from) },
      onMessage: (offer, from) => {
        if (from !== this.link.coordinatorPeerIdString) return // only our coordinator's offers count
        if (offerFits(offer, this.capabilities)) this.claims.wake()
      }
    })
  }

  /** The coordinator said (identify) which network it is on: switch to it, or report the mismatch. */
  private onCoordinatorNetwork (coordinatorNetwork: string): void {
    if (coordinatorNetwork === this.currentNetwork || this.stopping !== null) return
    if (this.networkGiven) {
      if (this.reportedMismatch === coordinatorNetwork) return
      this.reportedMismatch = coordinatorNetwork
      log('network %s differs from the coordinator\'s %s', this.currentNetwork, coordinatorNetwork)
      this.emit('network-mismatch', { network: this.currentNetwork, coordinatorNetwork })
      return
    }
    const from = this.currentNetwork
    this.currentNetwork = coordinatorNetwork
    this.subscribeOffers(coordinatorNetwork)
    this.heartbeat.retarget(statusTopic(coordinatorNetwork))
    // Identify then tells the coordinator (push) that this node is on its network now.
    this.networkSwitch = this.networkSwitch.then(async () => {
      await withdrawNetwork(this.peer, from)
      await advertiseNetwork(this.peer, coordinatorNetwork)
    }).catch(err => { log('network marker not updated: %s', (err as Error).message) })
    log('switched from network %s to the coordinator\'s %s', from, coordinatorNetwork)
    this.emit('network-adopted', { from, to: coordinatorNetwork })
  }

  /** Offers ignored so far, by signer (peers that are not this node's coordinator). */
  readonly ignoredOffers = new Map<string, number>()
  private ignoredOfferTotal = 0

  private noteUntrustedOffer (from: string): void {
    // Bounded: a flood of made-up signers keeps only the first 1000 in the map.
    this.ignoredOfferTotal += 1
    log('ignored an offer from %s (not our coordinator)', from)
    const tracked = this.ignoredOffers.has(from) || this.ignoredOffers.size < 1000
    const count = (this.ignoredOffers.get(from) ?? 0) + 1
    if (tracked) this.ignoredOffers.set(from, count)
    const report = tracked ? count === 1 || count % 100 === 0 : this.ignoredOfferTotal % 100 === 0
    if (report) this.emit('offers-ignored', { from, count, total: this.ignoredOfferTotal })
  }

  /** Offers from peers other than the coordinator ignored since start. */
  get ignoredOfferCount (): number { return this.ignoredOfferTotal }

  /** Opens the home's outbox, starts the peer, resumes unfinished work and begins claiming. */
  static async start (options: NodeDaemonOptions): Promise<NodeDaemon> {
    const daemon = await NodeDaemon.create(options)
    await daemon.begin()
    return daemon
  }

  /**
   * Opens the outbox and starts the peer, but runs nothing yet: attach event
   * listeners, then call `begin()` (so events of resumed units are not missed).
   */
  static async create (options: NodeDaemonOptions): Promise<NodeDaemon> {
    const outbox = await Outbox.open(options.home)
    let peer: MdswarmPeer
    try {
      peer = await createPeer({
        privateKey: await loadOrCreatePrivateKey(options.home),
        listen: options.listen ?? ['/ip4/127.0.0.1/tcp/0'],
        network: options.network ?? DEFAULT_NETWORK,
        swarmKey: options.swarmKey,
        role: 'node'
      })
    } catch (err) {
      await outbox.close()
      throw err
    }
    try {
      return new NodeDaemon(peer, outbox, options)
    } catch (err) {
      await peer.stop()
      await outbox.close()
      throw err
    }
  }

  /** Resumes what the outbox holds, then starts dialling, uploading, renewing, claiming and heartbeats. */
  async begin (): Promise<void> {
    if (this.begun) return
    this.begun = true
    this.pool.prewarm()
    await this.resume()
    this.link.start()
    this.uploader.start()
    this.leases.start()
    this.claims.start()
    this.heartbeat.start()
  }

  get peerId (): string { return this.peer.peerId.toString() }
  get multiaddrs (): string[] { return this.peer.getMultiaddrs().map(a => a.toString()) }
  /** Unit IDs with a worker running now. */
  get runningUnits (): string[] { return this.held.running().map(u => u.unitId) }

  /** Units left in the outbox by an earlier run: resend their chunks and carry on computing the unfinished ones. */
  private async resume (): Promise<void> {
    for (const record of await this.outbox.allUnits()) {
      const held = this.held.add(record)
      log('resuming unit %s attempt %d (%s) from step %d', held.unitId, held.attempt, record.phase, held.step)
      if (record.phase === 'running') this.schedule(held, true)
    }
  }

  /**
   * Leases wanted now: one per free slot, plus some ahead (claim-ahead) once
   * a running unit is about to end, so the next unit is leased and its
   * payloads fetched before the slot frees: one, or for very short units as
   * many as cover a few claim round trips (PrefetchPolicy.aheadWanted).
   */
  private claimDemand (): ClaimDemand {
    const free = this.capabilities.concurrency - this.executing.size - this.waiting.length
    if (free > 0) return { leases: free }
    const now = performance.now()
    const running = [...this.executing].map(([held, began]) => ({
      systemHash: held.record.unit.systemHash,
      stepsLeft: held.record.unit.endStep - began.startStep,
      runningForMs: now - (held.execution?.startedAtMs ?? began.startedAtMs)
    }))
    const dueInMs = this.prefetch.dueInMs(running)
    if (dueInMs > 0) return this.waiting.length > 0 ? { leases: 0 } : { leases: 0, recheckInMs: dueInMs }
    const wanted = this.prefetch.aheadWanted(running, this.capabilities.concurrency) - this.waiting.length
    return { leases: Math.max(0, wanted) }
  }

  /** Runs the unit now if a slot is free, else queues it (and fetches its payloads meanwhile). */
  private schedule (held: HeldUnit, resumed: boolean): void {
    if (this.executing.size < this.capabilities.concurrency) {
      this.execute(held, resumed)
      return
    }
    this.waiting.push({ held, resumed })
    void this.prefetchPayloads(held.record.unit)
  }

  private startWaiting (): void {
    while (this.stopping === null && this.executing.size < this.capabilities.concurrency && this.waiting.length > 0) {
      const next = this.waiting.shift()!
      if (!next.held.abandoned) this.execute(next.held, next.resumed)
    }
  }

  private async prefetchPayloads (unit: UnitSpec): Promise<void> {
    const hashes = [unit.systemHash, unit.integratorHash, unit.pdbHash, unit.stateHash, unit.checkpointHash].filter((h): h is string => h !== undefined)
    const { cache, fetchBlob } = this.executionDeps
    await Promise.allSettled(hashes.map(async hash => await cache.getOrFetch(hash, fetchBlob)))
  }

  private async takeLease (lease: Lease, unit: UnitSpec): Promise<void> {
    this.leases.observeLease(lease.expiresAt)
    const existing = this.held.get(unit.unitId)
    if (existing !== undefined) await this.abandon(existing, `superseded by attempt ${lease.attempt}`)
    const record = { coordinatorPeerId: this.link.coordinatorPeerIdString, unit, attempt: lease.attempt, phase: 'running' as const, nextFrame: unit.firstFrameIndex, resumeStep: unit.startStep, engineMs: 0 }
    await this.outbox.beginUnit(record)
    const held = this.held.add(record)
    held.leaseExpiresAt = lease.expiresAt
    this.schedule(held, false)
  }

  private execute (held: HeldUnit, resumed: boolean): void {
    const { unit } = held.record
    this.executing.set(held, { startedAtMs: performance.now(), startStep: held.step })
    this.emit('unit-started', { unitId: unit.unitId, jobId: unit.jobId, attempt: held.attempt, resumed, fromStep: held.step })
    const execution = executeUnit(held, this.executionDeps)
    this.executions.add(execution)
    void execution.finally(() => this.executions.delete(execution))
  }

  private onSettled (held: HeldUnit, outcome: UnitOutcome): void {
    if (outcome.status === 'failed') log('unit %s attempt %d failed: %s: %s', held.unitId, held.attempt, outcome.errorName, outcome.reason)
    this.onEngineIdle(held, outcome.status === 'completed' ? outcome.step : undefined)
    this.uploader.wake(held.unitId)
    this.claims.wake()
  }

  /** A unit's engine run ended (its last frames may still be being stored): its slot goes to the next unit now. */
  private onEngineIdle (held: HeldUnit, endStep = held.record.unit.endStep): void {
    const began = this.executing.get(held)
    if (began === undefined) return
    this.executing.delete(held)
    if (!held.abandoned) this.prefetch.noteFinished(held.record.unit.systemHash, endStep - began.startStep, performance.now() - began.startedAtMs)
    this.startWaiting()
    this.claims.wake()
  }

  private onReported (held: HeldUnit, report: UnitReport): void {
    const base = { unitId: held.unitId, jobId: held.record.unit.jobId, attempt: held.attempt }
    if (report.kind === 'completed') this.emit('unit-completed', { ...base, frames: report.frames, engineMs: report.engineMs })
    else this.emit('unit-failed', { ...base, errorName: report.errorName, reason: report.reason })
    this.claims.wake()
  }

  /** Stops a unit's worker and forgets the unit (its lease is gone or it was cancelled). */
  private async abandon (held: HeldUnit, reason: string): Promise<void> {
    if (held.abandoned) return
    held.abandoned = true
    held.execution?.controller.abort()
    this.held.delete(held.unitId)
    await this.outbox.dropUnit(held.unitId)
    log('gave up unit %s attempt %d: %s', held.unitId, held.attempt, reason)
    this.emit('unit-abandoned', { unitId: held.unitId, jobId: held.record.unit.jobId, attempt: held.attempt, reason })
    this.claims.wake()
  }

  /**
   * Clean stop: stops claiming, stops workers (their progress up to the last
   * chunk is in the outbox; the next start resumes from there), closes the
   * peer and the outbox.
   */
  async stop (): Promise<void> {
    this.stopping ??= this.stopNow()
    await this.stopping
  }

  private async stopNow (): Promise<void> {
    this.heartbeat.stop()
    await this.claims.stop()
    await this.leases.stop()
    // Workers stop without touching the outbox: the unit records stay 'running' so a restart resumes them.
    for (const held of this.held.all()) held.abandoned = true
    this.waiting.length = 0
    for (const held of this.held.all()) held.execution?.controller.abort()
    await Promise.allSettled([...this.executions])
    await this.pool.close()
    await this.uploader.stop()
    this.link.stop()
    this.unsubscribeOffers?.()
    await this.networkSwitch
    await this.peer.stop()
    await this.outbox.close()
  }
}
