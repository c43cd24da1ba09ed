/**
 * libp2p setup shared by every mdswarm process: identity, home folder,
 * topics, swarm keys, the peer itself, gossip helpers and one-shot requests.
 */
export { createPeer, parseMultiaddr, advertiseNetwork, withdrawNetwork } from './create-peer.ts'
export type { CreatePeerOptions, MdswarmPeer, PeerRole, PeerServices } from './create-peer.ts'
export { loadOrCreatePrivateKey, peerIdStringOf, PEER_KEY_FILE_NAME } from './identity.ts'
export { resolveHome, HOME_ENV_VAR } from './home.ts'
export { offersTopic, statusTopic, kadProtocol, isValidNetworkName, DEFAULT_NETWORK, networkMarkerProtocol, networkFromProtocols } from './topics.ts'
export { generateSwarmKey, parseSwarmKey, readSwarmKeyFile, resolveSwarmKey, resolveSwarmKeyFile, writeSwarmKeyFile, SWARM_KEY_FILE_NAME } from './swarm-key.ts'
export { CONNECTION_LIMITS_BY_ROLE } from './connection-limits.ts'
export type { ConnectionLimits } from './connection-limits.ts'
export { publishGossip, subscribeGossip } from './gossip.ts'
export type { GossipSubscriptionOptions } from './gossip.ts'
export { sendRequest } from './request.ts'
export type { SendRequestOptions } from './request.ts'
export { PeerKeyError, InvalidNetworkNameError, SwarmKeyError, InvalidMultiaddrError, PrivateNetworkError, SwarmKeyMismatchError } from './errors.ts'
export { probeNetworkKind, explainDialFailure } from './network-probe.ts'
export type { NetworkKind } from './network-probe.ts'
