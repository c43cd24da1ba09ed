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

/**
 * A protocol id every coordinator and node handles (and identify therefore
 * lists) only to say which network it is on, so a peer can tell when its
 * coordinator, or a node of it, uses another network name. Clients have none.
 */
export function networkMarkerProtocol (network: string): string {
  return `/mdswarm/${network}/network/1.0.0`
}

const NETWORK_MARKER_PATTERN = /^\/mdswarm\/([a-zA-Z0-9][a-zA-Z0-9._-]{0,63})\/network\/1\.0\.0$/

/** The network a peer's protocol list (identify) says it is on; undefined when it lists no marker (a client, another program). */
export function networkFromProtocols (protocols: readonly string[]): string | undefined {
  for (const protocol of protocols) {
    const match = NETWORK_MARKER_PATTERN.exec(protocol)
    if (match !== null) return match[1]
  }
  return undefined
}
