/**
 * gossipsub topics and the DHT protocol of one mdswarm network. Peers on
 * different networks share nothing.
 */
export const DEFAULT_NETWORK = 'default'

const NETWORK_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/

/** True for a network name usable in topics and protocol ids. */
export function isValidNetworkName (network: string): boolean {
  return NETWORK_NAME_PATTERN.test(network)
}

/** Coordinator → nodes: small unit offers (hints; never payloads). */
export function offersTopic (network: string): string {
  return `/mdswarm/${network}/offers`
}

/** Nodes → all: heartbeats with capabilities, load and throughput. */
export function statusTopic (network: string): string {
  return `/mdswarm/${network}/status`
}

/** The network's own Kademlia protocol (never the public IPFS DHT). */
export function kadProtocol (network: string): string {
  return `/mdswarm/${network}/kad/1.0.0`
}
