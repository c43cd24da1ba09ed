/** Timings of the node's link to its coordinator, built from `second`. */
import { second } from '../../src/wire/constants.ts'

/** First wait before redialling a coordinator that went away, ms. */
export const RECONNECT_INITIAL_DELAY_MS = 0.25 * second
/** Longest wait between redials, ms. */
export const RECONNECT_MAX_DELAY_MS = 5 * second
/** Time one dial may take, ms. */
export const DIAL_ATTEMPT_TIMEOUT_MS = 5 * second
