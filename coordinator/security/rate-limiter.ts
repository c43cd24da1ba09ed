/**
 * Per-peer token buckets. A request over the rate is first slowed down (the
 * handler waits for its token, which also holds back that peer's next
 * message on the stream); only when the wait would pass `maxWaitMs` is it
 * refused. A legitimate node that bursts is delayed a little, a flood is
 * refused, and one peer's flood never delays another peer.
 *
 * @example
 * const limiter = new RateLimiter({ ratePerSecond: 100, burst: 200, maxWaitMs: 2000 })
 * if (!await limiter.take(peerId, signal)) return refuse('rate-limited')
 */

export interface RateLimit {
  /** Sustained requests per second per peer. */
  readonly ratePerSecond: number
  /** Requests a quiet peer may send at once. */
  readonly burst: number
  /** Longest a request waits for its token before it is refused, ms. */
  readonly maxWaitMs: number
}

export interface RateLimiterOptions extends RateLimit {
  /** Peers tracked at most (idle full buckets are forgotten first). */
  readonly maxPeers?: number
  readonly now?: () => number
}

interface Bucket { tokens: number, at: number }

const DEFAULT_MAX_PEERS = 10_000

export class RateLimiter {
  readonly limit: RateLimit
  private readonly buckets = new Map<string, Bucket>()
  private readonly maxPeers: number
  private readonly now: () => number
  /** Requests refused so far (all peers). */
  refused = 0
  /** Requests that had to wait (all peers). */
  delayed = 0

  constructor (options: RateLimiterOptions) {
    if (!(options.ratePerSecond > 0) || !(options.burst >= 1) || !(options.maxWaitMs >= 0)) throw new RangeError('rate limit: ratePerSecond > 0, burst >= 1 and maxWaitMs >= 0 are needed')
    this.limit = { ratePerSecond: options.ratePerSecond, burst: options.burst, maxWaitMs: options.maxWaitMs }
    this.maxPeers = options.maxPeers ?? DEFAULT_MAX_PEERS
    this.now = options.now ?? Date.now
  }

  /**
   * Reserves one request for `key`. Returns the ms to wait before serving it
   * (0: now), or -1 when it should be refused (nothing is reserved then).
   */
  reserve (key: string): number {
    const now = this.now()
    let bucket = this.buckets.get(key)
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxPeers) this.forgetIdle(now)
      bucket = { tokens: this.limit.burst, at: now }
      this.buckets.set(key, bucket)
    } else {
      bucket.tokens = Math.min(this.limit.burst, bucket.tokens + (now - bucket.at) * this.limit.ratePerSecond / 1000)
      bucket.at = now
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    const waitMs = (1 - bucket.tokens) * 1000 / this.limit.ratePerSecond
    if (waitMs > this.limit.maxWaitMs) {
      this.refused += 1
      return -1
    }
    bucket.tokens -= 1
    this.delayed += 1
    return Math.ceil(waitMs)
  }

  /** Waits for a token for `key`; false when the request must be refused (or `signal` aborted). */
  async take (key: string, signal?: AbortSignal): Promise<boolean> {
    const waitMs = this.reserve(key)
    if (waitMs < 0) return false
    if (waitMs === 0) return true
    return await new Promise<boolean>((resolve) => {
      if (signal?.aborted === true) { resolve(false); return }
      const onAbort = (): void => { clearTimeout(timer); resolve(false) }
      const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(true) }, waitMs)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Peers tracked now. */
  get size (): number { return this.buckets.size }

  private forgetIdle (now: number): void {
    for (const [key, bucket] of this.buckets) {
      const tokens = bucket.tokens + (now - bucket.at) * this.limit.ratePerSecond / 1000
      if (tokens >= this.limit.burst) this.buckets.delete(key)
    }
    // Still full of busy peers: drop the oldest entries (Map keeps insertion order).
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < this.maxPeers) break
      this.buckets.delete(key)
    }
  }
}

/** Default limits per peer. Generous for real nodes and clients; a flood is slowed, then refused. */
export const DEFAULT_CLAIM_RATE_LIMIT: RateLimit = { ratePerSecond: 200, burst: 400, maxWaitMs: 2000 }
export const DEFAULT_CONTROL_RATE_LIMIT: RateLimit = { ratePerSecond: 100, burst: 300, maxWaitMs: 2000 }
/** Blob and frames messages are large and already bounded by size and stream count; this stops a message flood. */
export const DEFAULT_BULK_RATE_LIMIT: RateLimit = { ratePerSecond: 500, burst: 1000, maxWaitMs: 5000 }
