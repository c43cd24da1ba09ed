/**
 * One long-lived request/response stream of a protocol, with pipelining:
 * requests are written at once, in call order, without waiting for earlier
 * answers; the coordinator serves a stream's messages one at a time, so
 * responses come back in the same order and are matched first in, first out.
 * A new stream per request costs a protocol negotiation (about 2.3 ms on
 * loopback against about 0.5 ms for a request on an open stream).
 *
 * What is in flight is bounded (`maxInFlightBytes`, by the caller's estimate
 * of each message's size), so unread requests never pile up in the
 * coordinator's stream buffer; a message above the bound travels alone.
 *
 * Any failure (write error, timeout, end of stream) poisons the stream: it is
 * aborted, every request still waiting on it fails, and the next request
 * opens a fresh one. Callers retry as they would after any network error.
 * A stream left quiet for `maxIdleMs` is closed and the next request opens a
 * fresh one, so a request never races the server's idle timeout.
 *
 * @example
 * const channel = new RequestChannel(CLAIM_PROTOCOL, openStream, validateClaimResponse)
 * const [a, b] = await Promise.all([channel.request(m1, signal), channel.request(m2, signal)])
 */
import type { Stream } from '@libp2p/interface'
import { wireStream, type Validator, type WireStream, type WireStreamOptions } from './framing.ts'
import { ChannelResetError, NoResponseError } from './errors.ts'

interface Waiter<T> {
  readonly resolve: (value: T) => void
  readonly reject: (err: Error) => void
}

export interface RequestChannelOptions {
  /** Estimated size of a request, bytes (default: small). */
  readonly weigh?: (message: unknown) => number
  /** Most request bytes awaiting answers at once (default 1 MiB). */
  readonly maxInFlightBytes?: number
  /**
   * A stream unused for this long is not reused, ms (default: always reused).
   * Set it below the server's idle timeout, so a request never races the
   * server closing a quiet stream.
   */
  readonly maxIdleMs?: number
  /** Options of the stream's framing (message size limit). */
  readonly wire?: WireStreamOptions
}

const DEFAULT_MAX_IN_FLIGHT_BYTES = 1024 * 1024
const SMALL_MESSAGE_BYTES = 1024

interface OpenChannel<T> {
  readonly stream: Stream
  readonly ws: WireStream
  readonly waiting: Array<Waiter<T>>
  /** Tail of the write queue: writes of one stream never interleave. */
  writes: Promise<void>
  reading: boolean
  failed: boolean
  /** When the last request was written or answer read (performance.now(), ms). */
  lastUsedAt: number
}

export class RequestChannel<T> {
  readonly protocol: string
  private readonly open: (signal: AbortSignal) => Promise<Stream>
  private readonly validate: Validator<T>
  private readonly weigh: (message: unknown) => number
  private readonly maxInFlightBytes: number
  private readonly maxIdleMs: number
  private readonly wireOptions: WireStreamOptions | undefined
  private current: OpenChannel<T> | null = null
  private opening: Promise<OpenChannel<T>> | null = null
  private inFlightBytes = 0
  private inFlightCount = 0
  private readonly roomWaiters: Array<() => void> = []

  constructor (protocol: string, open: (signal: AbortSignal) => Promise<Stream>, validate: Validator<T>, options: RequestChannelOptions = {}) {
    this.protocol = protocol
    this.open = open
    this.validate = validate
    this.weigh = options.weigh ?? (() => SMALL_MESSAGE_BYTES)
    this.maxInFlightBytes = options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES
    this.maxIdleMs = options.maxIdleMs ?? Number.POSITIVE_INFINITY
    this.wireOptions = options.wire
  }

  /** Sends `message` and resolves with its response; `signal` bounds the whole exchange. */
  async request (message: unknown, signal: AbortSignal): Promise<T> {
    const bytes = Math.max(1, this.weigh(message))
    while (this.inFlightCount > 0 && this.inFlightBytes + bytes > this.maxInFlightBytes) {
      if (signal.aborted) throw signal.reason
      await new Promise<void>(resolve => { this.roomWaiters.push(resolve) })
    }
    this.inFlightBytes += bytes
    this.inFlightCount += 1
    try {
      return await this.exchange(message, signal)
    } finally {
      this.inFlightBytes -= bytes
      this.inFlightCount -= 1
      for (const wake of this.roomWaiters.splice(0)) wake()
    }
  }

  private async exchange (message: unknown, signal: AbortSignal): Promise<T> {
    const channel = await this.channel(signal)
    const answer = new Promise<T>((resolve, reject) => { channel.waiting.push({ resolve, reject }) })
    answer.catch(() => {})
    const written = channel.writes.then(async () => {
      if (channel.failed) throw new ChannelResetError(this.protocol)
      await channel.ws.write(message, signal)
      channel.lastUsedAt = performance.now()
    })
    channel.writes = written.catch(() => {})
    try {
      await written
    } catch (err) {
      this.fail(channel, err as Error)
      throw err
    }
    this.startReading(channel)
    let onAbort!: () => void
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => { reject(signal.reason) }
      if (signal.aborted) onAbort()
      else signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([answer, aborted])
    } catch (err) {
      // An answer that never came leaves the stream out of step: drop it.
      if (signal.aborted) this.fail(channel, new ChannelResetError(this.protocol))
      throw err
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  /** Aborts the stream (requests waiting on it fail). */
  close (err: Error = new ChannelResetError(this.protocol)): void {
    if (this.current !== null) this.fail(this.current, err)
  }

  private async channel (signal: AbortSignal): Promise<OpenChannel<T>> {
    const current = this.current
    const usable = current !== null && !current.failed && current.stream.status === 'open' && current.stream.writeStatus === 'writable' &&
      (current.waiting.length > 0 || performance.now() - current.lastUsedAt < this.maxIdleMs)
    if (usable) return current
    if (current !== null) this.retire(current)
    this.opening ??= (async () => {
      try {
        const stream = await this.open(signal)
        const opened: OpenChannel<T> = { stream, ws: wireStream(stream, this.wireOptions), waiting: [], writes: Promise.resolve(), reading: false, failed: false, lastUsedAt: performance.now() }
        this.current = opened
        return opened
      } finally {
        this.opening = null
      }
    })()
    return await this.opening
  }

  private startReading (channel: OpenChannel<T>): void {
    if (channel.reading || channel.failed) return
    channel.reading = true
    void this.readLoop(channel)
  }

  private async readLoop (channel: OpenChannel<T>): Promise<void> {
    try {
      while (channel.waiting.length > 0 && !channel.failed) {
        const raw = await channel.ws.readRaw()
        if (raw === null) throw new NoResponseError(this.protocol)
        channel.lastUsedAt = performance.now()
        const waiter = channel.waiting.shift()
        if (waiter === undefined) break
        try {
          waiter.resolve(this.validate(raw))
        } catch (err) {
          waiter.reject(err as Error)
        }
      }
    } catch (err) {
      this.fail(channel, err as Error)
    } finally {
      channel.reading = false
    }
    // A request may have been queued while the last answer was being handed out.
    if (channel.waiting.length > 0 && !channel.failed) this.startReading(channel)
  }

  /** Drops a stream nobody waits on (gone quiet, or already closed by the other side): closed gently when possible. */
  private retire (channel: OpenChannel<T>): void {
    if (this.current === channel) this.current = null
    if (channel.waiting.length > 0 || channel.failed || channel.stream.status !== 'open') {
      this.fail(channel, new ChannelResetError(this.protocol))
      return
    }
    channel.failed = true
    channel.ws.close(AbortSignal.timeout(1000)).catch(() => { channel.stream.abort(new ChannelResetError(this.protocol)) })
  }

  private fail (channel: OpenChannel<T>, err: Error): void {
    if (!channel.failed) {
      channel.failed = true
      channel.stream.abort(err)
    }
    if (this.current === channel) this.current = null
    for (const waiter of channel.waiting.splice(0)) waiter.reject(err)
  }
}
