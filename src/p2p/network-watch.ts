/**
 * Which network the peers we meet are on, from the marker protocol their
 * identify lists (topics.ts networkMarkerProtocol). Two peers with different
 * network names connect and exchange streams, but never hear each other's
 * gossip (offers, heartbeats): this is how that gets noticed.
 *
 * @example
 * const stop = watchPeerNetworks(peer, (peerId, network) => { if (network !== 'mylab') console.log(peerId, 'is on', network) })
 */
import type { IdentifyResult } from '@libp2p/interface'
import type { MdswarmPeer } from './create-peer.ts'
import { networkFromProtocols } from './topics.ts'

/**
 * Calls `listener` with each peer's network whenever identify (on connect, or
 * an identify push when the peer's protocols change) lists a network marker.
 * Returns a function that stops watching.
 */
export function watchPeerNetworks (peer: MdswarmPeer, listener: (peerId: string, network: string) => void): () => void {
  const onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const network = networkFromProtocols(event.detail.protocols)
    if (network !== undefined) listener(event.detail.peerId.toString(), network)
  }
  peer.addEventListener('peer:identify', onIdentify)
  return () => { peer.removeEventListener('peer:identify', onIdentify) }
}

/** The network a connected peer last said it is on (peer store); undefined when not connected or unknown. */
export async function connectedPeerNetwork (peer: MdswarmPeer, peerId: string): Promise<string | undefined> {
  const remote = peer.getConnections().find(c => c.remotePeer.toString() === peerId && c.status === 'open')?.remotePeer
  if (remote === undefined) return undefined
  try {
    return networkFromProtocols((await peer.peerStore.get(remote)).protocols)
  } catch {
    return undefined
  }
}

/** Peers reported at most once each (per network name) before the record is cleared. */
const MAX_REPORTED = 1000
/** Peers whose check is pending at once; more are not checked. */
const MAX_PENDING = 1000

/**
 * The coordinator's view: reports a connected peer whose network differs from
 * `ownNetwork`, once per peer and network, after `settleMs` (a node that
 * learns the network from us switches within that time and is not reported).
 * Returns a function that stops watching.
 */
export function reportForeignNetworks (peer: MdswarmPeer, ownNetwork: string, onForeign: (peerId: string, network: string) => void, settleMs: number): () => void {
  const pending = new Map<string, NodeJS.Timeout>()
  const reported = new Set<string>()
  const stopWatching = watchPeerNetworks(peer, (peerId, network) => {
    const timer = pending.get(peerId)
    if (timer !== undefined) { clearTimeout(timer); pending.delete(peerId) }
    if (network === ownNetwork || reported.has(`${peerId} ${network}`) || pending.size >= MAX_PENDING) return
    pending.set(peerId, setTimeout(() => {
      pending.delete(peerId)
      void connectedPeerNetwork(peer, peerId).then(now => {
        if (now === undefined || now === ownNetwork) return
        if (reported.size >= MAX_REPORTED) reported.clear()
        const key = `${peerId} ${now}`
        if (reported.has(key)) return
        reported.add(key)
        onForeign(peerId, now)
      })
    }, settleMs).unref())
  })
  return () => {
    stopWatching()
    for (const timer of pending.values()) clearTimeout(timer)
    pending.clear()
  }
}
