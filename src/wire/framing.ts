/**
 * Length-prefixed CBOR messages on a libp2p v3 Stream.
 *
 * Each message is an unsigned varint byte length followed by that many bytes
 * of CBOR (see cbor.ts). Every read is bounded: a length prefix above the
 * protocol's maximum fails with MessageTooLargeError before any of the body
 * is buffered, and libp2p's byte buffer under us is capped too. Every call
 * takes an optional AbortSignal; a timeout signal becomes WireTimeoutError.
 *
 * @example
 * ```ts
 * const stream = await peer.dialProtocol(coordinatorAddr, CLAIM_PROTOCOL)
 * const response = await request(stream, { type: 'claim', capabilities }, AbortSignal.timeout(REQUEST_TIMEOUT_MS), { validate: validateClaimResponse })
 * await stream.close()
 * ```
 */
import { byteStream } from '@libp2p/utils'
import type { ByteStream } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { encodeMessage, decodeMessage } from './cbor.ts'
import { maxMessageBytesFor, MiB } from './constants.ts'
import { MessageTooLargeError, NoResponseError, TruncatedMessageError, WireFormatError, WireTimeoutError } from './errors.ts'

/** A longest unsigned varint (LEB128) we accept as a length prefix. */
const MAX_VARINT_BYTES = 8
/** Messages up to this size are written with their length prefix in one piece (a copy is cheaper than a second frame). */
const SINGLE_PIECE_MAX_BYTES = 256 * 1024

export interface WireStreamOptions {
  /** Largest message body accepted or sent, bytes. Default: by the stream's protocol (constants.ts). */
  maxMessageBytes?: number
  /**
   * Largest number of received bytes held before they are read (libp2p's
   * buffer under this reader); more aborts the stream with libp2p's
   * StreamBufferError. Default: maxMessageBytes + 1 MiB, so a peer may send
   * one message ahead while the previous one is processed.
   */
  maxBufferedBytes?: number
}

export type Validator<T> = (value: unknown) => T

/** Writes the unsigned LEB128 varint of `value` (a safe non-negative integer). */
export function encodeVarint (value: number): Uint8Array {
  const out: number[] = []
  let rest = value
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  out.push(rest)
  return Uint8Array.from(out)
}

/** Encodes one framed message: varint length + CBOR body. Throws MessageTooLargeError above `maxMessageBytes`. */
export function encodeFrame (message: unknown, maxMessageBytes: number): Uint8Array[] {
  const body = encodeMessage(message)
  if (body.byteLength > maxMessageBytes) throw new MessageTooLargeError(body.byteLength, maxMessageBytes)
  return [encodeVarint(body.byteLength), body]
}

/**
 * Incremental decoder of framed messages: push bytes in any pieces, take out
 * complete message bodies. Holds at most one partial message plus what was
 * pushed; never allocates more than the announced (bounded) length.
 */
export class FrameDecoder {
  readonly maxMessageBytes: number
  private readonly chunks: Uint8Array[] = []
  private bufferedBytes = 0

  constructor (maxMessageBytes: number) {
    this.maxMessageBytes = maxMessageBytes
  }

  get buffered (): number { return this.bufferedBytes }

  push (bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return
    this.chunks.push(bytes)
    this.bufferedBytes += bytes.byteLength
  }

  /**
   * The next complete message body, or null when more bytes are needed.
   * Throws MessageTooLargeError for a length above the limit and
   * WireFormatError for a malformed length prefix.
   */
  next (): Uint8Array | null {
    const prefix = this.readLengthPrefix()
    if (prefix == null) return null
    const { length, prefixBytes } = prefix
    if (length > this.maxMessageBytes) throw new MessageTooLargeError(length, this.maxMessageBytes)
    if (this.bufferedBytes < prefixBytes + length) return null
    this.consume(prefixBytes)
    return this.take(length)
  }

  private readLengthPrefix (): { length: number, prefixBytes: number } | null {
    let value = 0
    let scale = 1
    let index = 0
    for (const chunk of this.chunks) {
      for (let i = 0; i < chunk.byteLength; i++) {
        const byte = chunk[i]
        value += (byte & 0x7f) * scale
        index++
        if ((byte & 0x80) === 0) {
          if (index > 1 && byte === 0) throw new WireFormatError('length prefix is not minimally encoded')
          return { length: value, prefixBytes: index }
        }
        if (index >= MAX_VARINT_BYTES) throw new WireFormatError('length prefix is longer than 8 bytes')
        // Early out: a minimal varint with another byte is at least `scale`.
        scale *= 0x80
        if (scale > this.maxMessageBytes) throw new MessageTooLargeError(scale, this.maxMessageBytes)
      }
    }
    return null
  }

  private consume (n: number): void {
    let rest = n
    while (rest > 0) {
      const head = this.chunks[0]
      if (head.byteLength <= rest) {
        this.chunks.shift()
        rest -= head.byteLength
      } else {
        this.chunks[0] = head.subarray(rest)
        rest = 0
      }
    }
    this.bufferedBytes -= n
  }

  private take (n: number): Uint8Array {
    const head = this.chunks[0]
    if (head !== undefined && head.byteLength >= n) {
      const out = head.subarray(0, n)
      this.consume(n)
      return out
    }
    const out = new Uint8Array(n)
    let offset = 0
    while (offset < n) {
      const chunk = this.chunks[0]
      const piece = Math.min(chunk.byteLength, n - offset)
      out.set(chunk.subarray(0, piece), offset)
      offset += piece
      this.consume(piece)
    }
    return out
  }
}

/** Settles like `promise`, or rejects with the signal's reason when it aborts first. */
async function raceAbort<T> (promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal == null) return promise
  if (signal.aborted) throw signal.reason
  let onAbort!: () => void
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

function rethrowAbort (err: unknown, signal: AbortSignal | undefined, what: string): never {
  if (signal?.aborted === true) {
    const reason = signal.reason as { name?: string } | undefined
    if (reason?.name === 'TimeoutError') throw new WireTimeoutError(what, { cause: reason })
    throw signal.reason
  }
  throw err
}

/**
 * Reads and writes framed CBOR messages on one libp2p stream. Use one per
 * stream (`wireStream(stream)` returns the same one every time).
 */
export class WireStream {
  readonly stream: Stream
  readonly maxMessageBytes: number
  private readonly bytes: ByteStream<Stream>
  private readonly decoder: FrameDecoder
  private failure: Error | null = null
  private pendingRead: Promise<Iterable<Uint8Array> | null> | null = null

  constructor (stream: Stream, options: WireStreamOptions = {}) {
    this.stream = stream
    this.maxMessageBytes = options.maxMessageBytes ?? maxMessageBytesFor(stream.protocol)
    this.decoder = new FrameDecoder(this.maxMessageBytes)
    this.bytes = byteStream(stream, { maxBufferSize: options.maxBufferedBytes ?? (this.maxMessageBytes + MiB) })
  }

  /**
   * The next message, decoded but not validated; null when the peer closed
   * its side cleanly between messages. Throws TruncatedMessageError,
   * MessageTooLargeError, WireFormatError, WireTimeoutError (signal timed out).
   * After a framing error the stream cannot be resynchronised: every later
   * read throws the same error.
   */
  async readRaw (signal?: AbortSignal): Promise<unknown> {
    if (this.failure != null) throw this.failure
    while (true) {
      let body: Uint8Array | null
      try {
        body = this.decoder.next()
      } catch (err) {
        this.failure = err as Error
        throw err
      }
      if (body != null) return decodeMessage(body)
      let received
      try {
        received = await this.pull(signal)
      } catch (err) {
        rethrowAbort(err, signal, `a message on ${this.stream.protocol ?? 'a stream'}`)
      }
      if (received == null) {
        if (this.decoder.buffered === 0) return null
        this.failure = new TruncatedMessageError(`The stream ended ${this.decoder.buffered} bytes into a message.`)
        throw this.failure
      }
      for (const piece of received) this.decoder.push(piece)
    }
  }

  /**
   * Everything received so far (null at the end). A read abandoned by its
   * signal stays pending and is picked up by the next call, so no libp2p read
   * is ever left unobserved and no received bytes are lost.
   */
  private async pull (signal?: AbortSignal): Promise<Iterable<Uint8Array> | null> {
    if (this.pendingRead == null) {
      const pending = this.bytes.read()
      pending.catch(() => {})
      this.pendingRead = pending
    }
    const result = await raceAbort(this.pendingRead, signal)
    this.pendingRead = null
    return result
  }

  /** The next message checked by `validate` (which throws WireFormatError), or null at a clean end. */
  async read<T> (validate: Validator<T>, signal?: AbortSignal): Promise<T | null> {
    const raw = await this.readRaw(signal)
    if (raw === null) return null
    return validate(raw)
  }

  /**
   * Sends one message; waits for the stream to drain under backpressure. A
   * small message goes as one piece (length prefix and body together), so
   * it costs one muxer frame, one encryption and one socket write.
   */
  async write (message: unknown, signal?: AbortSignal): Promise<void> {
    const [prefix, body] = encodeFrame(message, this.maxMessageBytes)
    try {
      if (body.byteLength <= SINGLE_PIECE_MAX_BYTES) {
        const whole = new Uint8Array(prefix.byteLength + body.byteLength)
        whole.set(prefix, 0)
        whole.set(body, prefix.byteLength)
        await this.bytes.write(whole, { signal })
      } else {
        await this.bytes.write(prefix, { signal })
        await this.bytes.write(body, { signal })
      }
    } catch (err) {
      rethrowAbort(err, signal, `the peer to accept a message on ${this.stream.protocol ?? 'a stream'}`)
    }
  }

  /** Closes our writing side gracefully (the peer reads a clean end). */
  async close (signal?: AbortSignal): Promise<void> {
    try {
      await this.stream.close({ signal })
    } catch (err) {
      this.stream.abort(err as Error)
    }
  }

  abort (err: Error): void {
    this.stream.abort(err)
  }
}

const wireStreams = new WeakMap<Stream, WireStream>()

/** The WireStream of `stream` (created on first use; options only apply then). */
export function wireStream (stream: Stream, options?: WireStreamOptions): WireStream {
  let ws = wireStreams.get(stream)
  if (ws == null) {
    ws = new WireStream(stream, options)
    wireStreams.set(stream, ws)
  }
  return ws
}

export interface RequestOptions<T> extends WireStreamOptions {
  /** Checks the response; without it the decoded value is returned as is. */
  validate?: Validator<T>
}

/**
 * Sends `message` and reads one response on `stream` (which stays open for
 * further requests). Throws NoResponseError if the peer closes first, and
 * WireTimeoutError if `signal` times out.
 */
export async function request<T = unknown> (stream: Stream, message: unknown, signal?: AbortSignal, options: RequestOptions<T> = {}): Promise<T> {
  const ws = wireStream(stream, options)
  await ws.write(message, signal)
  const raw = await ws.readRaw(signal)
  if (raw === null) throw new NoResponseError(stream.protocol ?? 'request')
  return options.validate != null ? options.validate(raw) : raw as T
}
