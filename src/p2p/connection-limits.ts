/**
 * Connection limits of each kind of peer, handed to libp2p's connection
 * manager: how many connections it keeps, how fast one host may open new
 * ones, how many may be half-open (still negotiating encryption and muxer)
 * at once, and how long that negotiation may take. Streams per connection
 * are bounded per protocol (src/wire/constants.ts MAX_INBOUND_STREAMS_BY_PROTOCOL).
 */
import type { PeerRole } from './create-peer.ts'

export interface ConnectionLimits {
  /** Open connections kept; past this libp2p prunes the least valuable. */
  readonly maxConnections: number
  /** New inbound connections accepted from one IP address per second; more are refused. */
  readonly inboundConnectionsPerHostPerSecond: number
  /** Inbound connections still being upgraded (pnet, Noise, yamux) at once. */
  readonly maxIncomingPendingConnections: number
  /** Time an inbound connection has to finish its upgrade, ms. */
  readonly inboundUpgradeTimeoutMs: number
}

/**
 * A coordinator serves every node and client of a project; a node talks to
 * its coordinator and a few gossip neighbours; a client to one coordinator.
 */
export const CONNECTION_LIMITS_BY_ROLE: Readonly<Record<PeerRole, ConnectionLimits>> = {
  coordinator: { maxConnections: 1024, inboundConnectionsPerHostPerSecond: 16, maxIncomingPendingConnections: 64, inboundUpgradeTimeoutMs: 10_000 },
  node: { maxConnections: 128, inboundConnectionsPerHostPerSecond: 5, maxIncomingPendingConnections: 16, inboundUpgradeTimeoutMs: 10_000 },
  client: { maxConnections: 32, inboundConnectionsPerHostPerSecond: 5, maxIncomingPendingConnections: 8, inboundUpgradeTimeoutMs: 10_000 }
}

/** The libp2p `connectionManager` options for `limits`. */
export function connectionManagerOptions (limits: ConnectionLimits): { maxConnections: number, inboundConnectionThreshold: number, maxIncomingPendingConnections: number, inboundUpgradeTimeout: number } {
  return {
    maxConnections: limits.maxConnections,
    inboundConnectionThreshold: limits.inboundConnectionsPerHostPerSecond,
    maxIncomingPendingConnections: limits.maxIncomingPendingConnections,
    inboundUpgradeTimeout: limits.inboundUpgradeTimeoutMs
  }
}
