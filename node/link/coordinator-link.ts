/**
 * The node's link to its one coordinator: keeps a connection (redialling with
 * backoff when the coordinator goes away), and speaks the node side of
 * /mdswarm/claim/1, /mdswarm/blob/1 and /mdswarm/frames/1, each on one
 * long-lived stream with pipelined requests (request-channel.ts). The node
 * always dials out, so it works behind NAT. Every call is bounded by a timeout.
 * It also reports the coordinator's network name (from identify) and, when
 * dials fail because of the swarm key, why (network-probe.ts).
 *
 * @example
 * const link = new CoordinatorLink(peer, '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...', { hasSwarmKey: false })
 * link.on('refused', err => console.log(err.message))   // e.g. PrivateNetworkError: the coordinator needs a swarm key
 * link.start()
 * const response = await link.claim({ type: 'claim', capabilities })
 */
import { EventEmitter } from 'node:events'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { MdswarmPeer } from '../../src/p2p/create-peer.ts'
import { parseMultiaddr } from '../../src/p2p/create-peer.ts'
import { BLOB_PROTOCOL, BULK_TIMEOUT_MS, CLAIM_PROTOCOL, FRAMES_PROTOCOL, REQUEST_TIMEOUT_MS } from '../../src/wire/constants.ts'
import { validateBlobResponse, validateChunkAck, validateClaimResponse } from '../../src/wire/validate.ts'
import type { BlobRequest, BlobResponse, ChunkAck, ChunkMessage, ClaimRequest, ClaimResponse } from '../../src/wire/messages.ts'
import { sha256Hex } from '../../src/wire/hash.ts'
import { backoffDelayMs } from './backoff.ts'
import { DIAL_ATTEMPT_TIMEOUT_MS, RECONNECT_INITIAL_DELAY_MS, RECONNECT_MAX_DELAY_MS } from './constants.ts'
import { BlobRefusedError, CoordinatorAddressError, LinkClosedError, UnexpectedResponseError } from './errors.ts'
import { RequestChannel } from '../../src/wire/request-channel.ts'
import { explainDialFailure } from '../../src/p2p/network-probe.ts'
import { watchPeerNetworks } from '../../src/p2p/network-watch.ts'

interface LinkEvents {
  /** A connection to the coordinator is up (first time or after a reconnect). */
  connected: []
  /** The last connection to the coordinator closed. */
  disconnected: []
  /** The network name the coordinator says it is on (identify), after each connect. */
  network: [string]
  /**
   * Dials fail because of the swarm key (PrivateNetworkError: the coordinator
   * is private and this node has no key; SwarmKeyMismatchError). Once per
   * kind of failure until a connection succeeds.
   */
  refused: [Error]
}

export interface CoordinatorLinkOptions {
  /** Whether this node's peer uses a swarm key (private network); used to explain failed dials. */
  readonly hasSwarmKey?: boolean
}

export class CoordinatorLink extends EventEmitter<LinkEvents> {
  readonly address: Multiaddr
  readonly coordinatorPeerId: PeerId
  private readonly peer: MdswarmPeer
  private running = false
  private wake: (() => void) | null = null
  private readonly stopController = new AbortController()
  private readonly hasSwarmKey: boolean
  private stopNetworkWatch: (() => void) | null = null
  /** Name of the dial failure last reported with 'refused' (reset on connect). */
  private lastRefusal: string | null = null
  private readonly claims = new RequestChannel<ClaimResponse>(CLAIM_PROTOCOL, async signal => await this.openStream(CLAIM_PROTOCOL, signal), validateClaimResponse)
  /** Claims for work get a stream of their own: the coordinator may hold one until work arrives (long poll). */
  private readonly workClaims = new RequestChannel<ClaimResponse>(CLAIM_PROTOCOL, async signal => await this.openStream(CLAIM_PROTOCOL, signal), validateClaimResponse)
  private readonly blobs = new RequestChannel<BlobResponse>(BLOB_PROTOCOL, async signal => await this.openStream(BLOB_PROTOCOL, signal), validateBlobResponse,
    { weigh: m => (m as BlobRequest).type === 'put' ? (m as Extract<BlobRequest, { type: 'put' }>).bytes.byteLength : 1024 })
  private readonly frames = new RequestChannel<ChunkAck>(FRAMES_PROTOCOL, async signal => await this.openStream(FRAMES_PROTOCOL, signal), validateChunkAck,
    { weigh: m => (m as ChunkMessage).data.byteLength + 512 })

  constructor (peer: MdswarmPeer, coordinatorAddress: string, options: CoordinatorLinkOptions = {}) {
    super()
    this.peer = peer
    this.hasSwarmKey = options.hasSwarmKey === true
    this.address = parseMultiaddr(coordinatorAddress)
    const id = this.address.getComponents().findLast(c => c.name === 'p2p')?.value
    if (id === undefined) throw new CoordinatorAddressError(coordinatorAddress)
    this.coordinatorPeerId = peerIdFromString(id)
  }

  get coordinatorPeerIdString (): string { return this.coordinatorPeerId.toString() }

  get connected (): boolean {
    return this.peer.getConnections(this.coordinatorPeerId).some(c => c.status === 'open')
  }

  /** Starts keeping the connection up. */
  start (): void {
    if (this.running) return
    this.running = true
    this.peer.addEventListener('peer:disconnect', this.onPeerDisconnect)
    this.peer.addEventListener('peer:connect', this.onPeerConnect)
    this.stopNetworkWatch = watchPeerNetworks(this.peer, (peerId, network) => {
      if (peerId === this.coordinatorPeerIdString) this.emit('network', network)
    })
    void this.keepConnected()
  }

  stop (): void {
    this.running = false
    this.stopController.abort(new LinkClosedError())
    this.peer.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    this.peer.removeEventListener('peer:connect', this.onPeerConnect)
    this.stopNetworkWatch?.()
    this.stopNetworkWatch = null
    this.closeChannels(new LinkClosedError())
    this.wake?.()
  }

  private closeChannels (err?: Error): void {
    this.claims.close(err)
    this.workClaims.close(err)
    this.blobs.close(err)
    this.frames.close(err)
  }

  private readonly onPeerDisconnect = (event: CustomEvent<PeerId>): void => {
    if (!event.detail.equals(this.coordinatorPeerId)) return
    this.closeChannels()
    this.emit('disconnected')
    this.wake?.()
  }

  private readonly onPeerConnect = (event: CustomEvent<PeerId>): void => {
    if (!event.detail.equals(this.coordinatorPeerId)) return
    this.lastRefusal = null
    this.emit('connected')
  }

  /** Dials whenever there is no connection; waits with jittered backoff between failed dials. */
  private async keepConnected (): Promise<void> {
    let failures = 0
    while (this.running) {
      if (!this.connected) {
        try {
          await this.dial()
          failures = 0
        } catch {
          failures += 1
          // The first failure of a run, then every tenth: is the swarm key the reason?
          if (failures === 1 || failures % 10 === 0) await this.explainFailure()
        }
      }
      if (!this.running) break
      const delay = this.connected ? RECONNECT_MAX_DELAY_MS : backoffDelayMs(failures, RECONNECT_INITIAL_DELAY_MS, RECONNECT_MAX_DELAY_MS)
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, delay)
        this.wake = () => { clearTimeout(timer); resolve() }
      })
      this.wake = null
    }
  }

  private async explainFailure (): Promise<void> {
    if (!this.running) return
    const explained = await explainDialFailure(this.address, { hasSwarmKey: this.hasSwarmKey })
    if (explained === null || !this.running || this.connected || explained.name === this.lastRefusal) return
    this.lastRefusal = explained.name
    this.emit('refused', explained)
  }

  private async dial (): Promise<Connection> {
    const signal = AbortSignal.any([AbortSignal.timeout(DIAL_ATTEMPT_TIMEOUT_MS), this.stopController.signal])
    try {
      return await this.peer.dial(this.address, { signal })
    } catch (err) {
      // The address may be stale: let libp2p look the peer ID up (peer store, DHT).
      if (this.stopController.signal.aborted) throw err
      return await this.peer.dial(this.coordinatorPeerId, { signal: AbortSignal.any([AbortSignal.timeout(DIAL_ATTEMPT_TIMEOUT_MS), this.stopController.signal]) })
    }
  }

  private async openStream (protocol: string, signal: AbortSignal): Promise<Stream> {
    const connection = this.peer.getConnections(this.coordinatorPeerId).find(c => c.status === 'open') ?? await this.dial()
    return await connection.newStream(protocol, { signal })
  }

  private timeout (ms: number): AbortSignal {
    return AbortSignal.any([AbortSignal.timeout(ms), this.stopController.signal])
  }

  /**
   * One request on /mdswarm/claim/1, pipelined on a long-lived stream: renew,
   * complete and fail on one, claims for work (which the coordinator may
   * hold until work arrives) on another. `signal` cuts it short.
   */
  async claim (message: ClaimRequest, timeoutMs = REQUEST_TIMEOUT_MS, signal?: AbortSignal): Promise<ClaimResponse> {
    const bounded = signal === undefined ? this.timeout(timeoutMs) : AbortSignal.any([this.timeout(timeoutMs), signal])
    return await (message.type === 'claim' ? this.workClaims : this.claims).request(message, bounded)
  }

  /** Fetches a payload by hash; the bytes are checked against the hash. */
  async blobGet (hash: string): Promise<Uint8Array> {
    const response = await this.blob({ type: 'get', hash })
    if (response.type !== 'blob' || response.hash !== hash) throw new UnexpectedResponseError(`asked for blob ${hash.slice(0, 12)}…, got ${response.type}`)
    const actual = sha256Hex(response.bytes)
    if (actual !== hash) throw new UnexpectedResponseError(`blob ${hash.slice(0, 12)}… arrived with content hashing to ${actual.slice(0, 12)}…`)
    return response.bytes
  }

  /** Uploads a checkpoint (content-addressed) for a unit this node holds. */
  async blobPut (bytes: Uint8Array, unitId: string, attempt: number): Promise<string> {
    const hash = sha256Hex(bytes)
    const response = await this.blob({ type: 'put', hash, bytes, unitId, attempt })
    if (response.type !== 'stored' || response.hash !== hash) throw new UnexpectedResponseError(`expected 'stored' for blob ${hash.slice(0, 12)}…, got ${response.type}`)
    return hash
  }

  private async blob (message: BlobRequest): Promise<Exclude<BlobResponse, { type: 'error' }>> {
    const response = await this.blobs.request(message, this.timeout(BULK_TIMEOUT_MS))
    if (response.type === 'error') throw new BlobRefusedError(response.code, response.reason)
    return response
  }

  /**
   * Sends one chunk on the long-lived frames stream and waits for its ack or
   * nack. Chunks of several units may be in flight at once (pipelined); any
   * stream failure drops the stream (the next call opens a new one) and
   * rethrows.
   */
  async sendChunk (chunk: ChunkMessage): Promise<ChunkAck> {
    const ack = await this.frames.request(chunk, this.timeout(BULK_TIMEOUT_MS))
    if (ack.unitId !== chunk.unitId || ack.firstFrame !== chunk.firstFrame) {
      this.frames.close()
      throw new UnexpectedResponseError(`ack for ${ack.unitId}@${ack.firstFrame} while waiting for ${chunk.unitId}@${chunk.firstFrame}`)
    }
    return ack
  }
}
