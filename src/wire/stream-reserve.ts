/**
 * Keeps one stream of a protocol opened ahead, so a caller that needs a fresh
 * stream (a watch that streams answers until it ends) gets one without
 * waiting for the protocol negotiation (about 2 ms on loopback, more on a
 * busy machine). After each `take` the next stream is opened in the
 * background. A reserved stream older than `maxIdleMs` is closed unused and
 * a new one opened, so it never meets the server's idle timeout.
 *
 * @example
 * const reserve = new StreamReserve(async signal => await openControlStream(signal), 60_000)
 * const stream = await reserve.take(signal)   // negotiated already when one was waiting
 */
import type { Stream } from '@libp2p/interface'

/** How long opening a reserved stream may take, ms. */
const RESERVE_OPEN_TIMEOUT_MS = 10_000

interface Reserved {
  readonly stream: Stream
  readonly openedAt: number
}

export class StreamReserve {
  private readonly open: (signal: AbortSignal) => Promise<Stream>
  private readonly maxIdleMs: number
  private reserved: Reserved | null = null
  private opening: Promise<void> | null = null
  private closed = false

  constructor (open: (signal: AbortSignal) => Promise<Stream>, maxIdleMs: number) {
    this.open = open
    this.maxIdleMs = maxIdleMs
  }

  /** A negotiated stream: the reserved one when it is still fresh and open, else a new one. Opens the next in the background. */
  async take (signal: AbortSignal): Promise<Stream> {
    const reserved = this.reserved
    this.reserved = null
    this.refill()
    if (reserved !== null) {
      if (reserved.stream.status === 'open' && reserved.stream.writeStatus === 'writable' && performance.now() - reserved.openedAt < this.maxIdleMs) return reserved.stream
      reserved.stream.abort(new Error('reserved stream went unused'))
    }
    return await this.open(signal)
  }

  /** Drops the reserved stream and opens no more. */
  close (): void {
    this.closed = true
    this.reserved?.stream.abort(new Error('client closed'))
    this.reserved = null
  }

  private refill (): void {
    if (this.closed || this.opening !== null) return
    this.opening = (async () => {
      try {
        const stream = await this.open(AbortSignal.timeout(RESERVE_OPEN_TIMEOUT_MS))
        if (this.closed || this.reserved !== null) stream.abort(new Error('reserve not needed'))
        else this.reserved = { stream, openedAt: performance.now() }
      } catch {
        // Nothing reserved: the next take opens its own stream.
      } finally {
        this.opening = null
      }
    })()
  }
}
