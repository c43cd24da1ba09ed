/**
 * Protocol ids and per-protocol limits of mdswarm. Every read from the
 * network is bounded by the maximum message size of its protocol; every I/O
 * call takes an AbortSignal built from one of the timeouts here.
 */

export const second = 1000
export const minute = 60 * second
export const KiB = 1024
export const MiB = 1024 * KiB

export const CLAIM_PROTOCOL = '/mdswarm/claim/1'
export const BLOB_PROTOCOL = '/mdswarm/blob/1'
export const FRAMES_PROTOCOL = '/mdswarm/frames/1'
export const CONTROL_PROTOCOL = '/mdswarm/control/1'

/** Largest claim request/response (capabilities, unit specs with keepAtoms lists). */
export const CLAIM_MAX_MESSAGE_BYTES = 256 * KiB
/** Largest control message; fetch responses stream frames in pieces below this. */
export const CONTROL_MAX_MESSAGE_BYTES = 1 * MiB
/** Largest blob message (system XML, PDB, checkpoint payloads). */
export const BLOB_MAX_MESSAGE_BYTES = 64 * MiB
/** Largest frames message (one chunk plus its envelope). */
export const FRAMES_MAX_MESSAGE_BYTES = 16 * MiB
/** Used for a protocol this table does not know. */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * KiB

export const MAX_MESSAGE_BYTES_BY_PROTOCOL: Readonly<Record<string, number>> = {
  [CLAIM_PROTOCOL]: CLAIM_MAX_MESSAGE_BYTES,
  [CONTROL_PROTOCOL]: CONTROL_MAX_MESSAGE_BYTES,
  [BLOB_PROTOCOL]: BLOB_MAX_MESSAGE_BYTES,
  [FRAMES_PROTOCOL]: FRAMES_MAX_MESSAGE_BYTES
}

/** The maximum message size of `protocol` (DEFAULT_MAX_MESSAGE_BYTES when unknown). */
export function maxMessageBytesFor (protocol: string | undefined): number {
  if (protocol == null) return DEFAULT_MAX_MESSAGE_BYTES
  return MAX_MESSAGE_BYTES_BY_PROTOCOL[protocol] ?? DEFAULT_MAX_MESSAGE_BYTES
}

/**
 * gossipsub drops any RPC over 4 MiB (it-length-prefixed's default
 * maxDataLength) silently. Our own gossip messages (offers, heartbeats) are
 * limited far below that: gossip is a hint, payloads go over streams.
 */
export const GOSSIPSUB_HARD_LIMIT_BYTES = 4 * MiB
export const GOSSIP_MAX_MESSAGE_BYTES = 64 * KiB

/** Time for one request to be answered (claim, blob get of a small payload, control). */
export const REQUEST_TIMEOUT_MS = 30 * second
/** Time allowed to receive one full large message once its stream is open (blob, chunk). */
export const BULK_TIMEOUT_MS = 5 * minute
/** How long a server waits for the next message on an idle long-lived stream. */
export const IDLE_STREAM_TIMEOUT_MS = 2 * minute
/** Time allowed to open a stream to a connected or dialable peer. */
export const DIAL_TIMEOUT_MS = 10 * second

/** Upper bounds on field sizes inside messages (validators). */
export const MAX_ID_LENGTH = 128
export const MAX_REASON_LENGTH = 4096
export const MAX_FORCE_TYPES = 256
export const MAX_KEEP_ATOMS = 10_000_000
export const MAX_LEASES_PER_RENEW = 1024
export const MAX_RUNNING_UNITS = 1024
/** Most leases one claim may ask for (and one answer carry): short units are claimed a few at a time. */
export const MAX_LEASES_PER_CLAIM = 8
/** Longest long-poll wait a claim may ask for, ms. */
export const MAX_CLAIM_WAIT_MS = 60 * second

/**
 * Streams one connection may hold open at once, per protocol (libp2p's
 * registrar `maxInboundStreams`; more are reset on open). A node opens a
 * claim stream per request and one long-lived frames stream; a client one
 * control stream per request, plus one per `watch`/`fetch`.
 */
export const CLAIM_MAX_INBOUND_STREAMS = 64
export const BLOB_MAX_INBOUND_STREAMS = 32
export const FRAMES_MAX_INBOUND_STREAMS = 16
export const CONTROL_MAX_INBOUND_STREAMS = 64
/** Outbound streams per connection and protocol (the coordinator never opens these; a bound all the same). */
export const MAX_OUTBOUND_STREAMS = 64

export const MAX_INBOUND_STREAMS_BY_PROTOCOL: Readonly<Record<string, number>> = {
  [CLAIM_PROTOCOL]: CLAIM_MAX_INBOUND_STREAMS,
  [BLOB_PROTOCOL]: BLOB_MAX_INBOUND_STREAMS,
  [FRAMES_PROTOCOL]: FRAMES_MAX_INBOUND_STREAMS,
  [CONTROL_PROTOCOL]: CONTROL_MAX_INBOUND_STREAMS
}
