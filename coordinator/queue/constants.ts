/** Queue defaults, built from `second`. */
export const second = 1000
export const minute = 60 * second

/** How long a lease lasts without a renewal, ms. */
export const DEFAULT_LEASE_TTL_MS = 30 * second
/** Reported failures of one unit after which its job fails. */
export const DEFAULT_MAX_ATTEMPTS = 3
/**
 * A claim that finds no work waits this long for some to arrive before it is
 * refused (long poll), ms: a node that asked is handed a new unit at once,
 * without waiting for the gossip offer and its claim round trip.
 */
export const CLAIM_PARK_MS = 2.5 * second
/**
 * Leases of one unit in a row that may expire without the unit gaining a
 * checkpoint (its nodes crashed, were killed, or lost the network while
 * running it) before its job fails: a unit that takes down every node that
 * runs it is not requeued forever. Progress between expiries resets the count.
 */
export const MAX_STALLED_LEASES = 5
/** How often the sweeper looks for expired leases, ms. */
export const DEFAULT_SWEEP_INTERVAL_MS = 1 * second
/** Most replicas one submit may create. */
export const MAX_REPLICAS = 100_000
/** Longest failure reason kept, characters. */
export const MAX_REASON_CHARS = 2000
