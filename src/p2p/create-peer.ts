/**
 * Builds the libp2p peer every mdswarm process runs: TCP, Noise, yamux,
 * identify (and identify push), ping, gossipsub (signed messages, StrictSign) and a Kademlia DHT
 * of the network's own protocol that keeps private (LAN, loopback)
 * addresses. An optional pre-shared swarm key makes the network private.
 *
 * @example
 * ```ts
 * const home = resolveHome(flags.home)
 * const peer = await createPeer({ privateKey: await loadOrCreatePrivateKey(home), listen: ['/ip4/0.0.0.0/tcp/4001'], network: 'default', role: 'coordinator' })
 * peer.handle(CLAIM_PROTOCOL, async (stream, connection) => { ... })
 * await peer.stop()
 * ```
 */
import '../polyfill.ts'
import { createLibp2p } from 'libp2p'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import { identify, identifyPush } from '@libp2p/identify'
import type { Identify, IdentifyPush } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import { gossipsub, StrictSign } from '@libp2p/gossipsub'
import type { GossipSub } from '@libp2p/gossipsub'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import type { KadDHT } from '@libp2p/kad-dht'
import { preSharedKey } from '@libp2p/pnet'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import { kadProtocol, isValidNetworkName, networkMarkerProtocol } from './topics.ts'
import { InvalidMultiaddrError, InvalidNetworkNameError } from './errors.ts'
import { parseSwarmKey } from './swarm-key.ts'
import { CONNECTION_LIMITS_BY_ROLE, connectionManagerOptions, type ConnectionLimits } from './connection-limits.ts'
import { GOSSIPSUB_HARD_LIMIT_BYTES, DIAL_TIMEOUT_MS } from '../wire/constants.ts'
import { sendYamuxWindowUpdatesAtHalfWindow } from './yamux-window-updates.ts'
import { coalesceSocketWritesPerTick } from './coalesced-socket-writes.ts'

export type PeerRole = 'coordinator' | 'node' | 'client'

export type PeerServices = {
  identify: Identify
  /** Tells connected peers when this peer's protocols change (a node that switched networks: see advertiseNetwork). */
  identifyPush: IdentifyPush
  ping: Ping
  pubsub: GossipSub
  dht: KadDHT
}

/** The libp2p node of an mdswarm process. */
export type MdswarmPeer = Libp2p<PeerServices>

export interface CreatePeerOptions {
  /** The peer's stable key (identity.ts loadOrCreatePrivateKey). */
  privateKey: PrivateKey
  /** Multiaddrs to listen on, e.g. ['/ip4/127.0.0.1/tcp/0']. Clients usually listen on none. */
  listen?: string[]
  /** Network name (topics, DHT protocol). */
  network: string
  /** Multiaddrs (with /p2p/<id>) dialled after start, best effort, to join the network. */
  bootstrap?: string[]
  /** Swarm key file contents (pnet); every peer of the network must have the same. */
  swarmKey?: Uint8Array
  role: PeerRole
  /** Connection manager limits; default: CONNECTION_LIMITS_BY_ROLE[role]. */
  connectionLimits?: ConnectionLimits
}

/** Parses a multiaddr string; throws InvalidMultiaddrError. */
export function parseMultiaddr (address: string): Multiaddr {
  try {
    return multiaddr(address)
  } catch (err) {
    throw new InvalidMultiaddrError(address, (err as Error).message)
  }
}

/** Creates and starts the peer. Stop it with `peer.stop()`. */
export async function createPeer (options: CreatePeerOptions): Promise<MdswarmPeer> {
  if (!isValidNetworkName(options.network)) throw new InvalidNetworkNameError(options.network)
  sendYamuxWindowUpdatesAtHalfWindow()
  coalesceSocketWritesPerTick()
  const listen = options.listen ?? []
  for (const address of listen) parseMultiaddr(address)
  const bootstrap = (options.bootstrap ?? []).map(parseMultiaddr)
  const psk = options.swarmKey != null ? parseSwarmKey(options.swarmKey) : undefined

  const peer = await createLibp2p({
    privateKey: options.privateKey,
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: connectionManagerOptions(options.connectionLimits ?? CONNECTION_LIMITS_BY_ROLE[options.role]),
    ...(psk != null ? { connectionProtector: preSharedKey({ psk }) } : {}),
    services: {
      identify: identify(),
      identifyPush: identifyPush(),
      ping: ping(),
      pubsub: gossipsub({
        globalSignaturePolicy: StrictSign,
        // Gossip is a hint: a node that misses an offer asks over /claim.
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        emitSelf: false,
        maxInboundDataLength: GOSSIPSUB_HARD_LIMIT_BYTES
      }),
      dht: kadDHT({
        protocol: kadProtocol(options.network),
        clientMode: options.role === 'client',
        peerInfoMapper: passthroughMapper
      })
    }
  })
  await peer.start()
  if (options.role !== 'client') await advertiseNetwork(peer, options.network)
  await Promise.allSettled(bootstrap.map(async address => peer.dial(address, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) })))
  return peer
}

/**
 * Lists the network's marker protocol (topics.ts networkMarkerProtocol) among
 * the peer's protocols, so identify tells every connected peer which network
 * this one is on. A stream opened on it is closed at once.
 */
export async function advertiseNetwork (peer: MdswarmPeer, network: string): Promise<void> {
  await peer.handle(networkMarkerProtocol(network), (stream) => { stream.abort(new Error('the network marker carries no data')) })
}

/** Stops listing `network`'s marker protocol (a node that switched networks). */
export async function withdrawNetwork (peer: MdswarmPeer, network: string): Promise<void> {
  await peer.unhandle(networkMarkerProtocol(network))
}
