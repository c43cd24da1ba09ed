/**
 * The server side of a request/response protocol on one stream: read a
 * message, validate it, hand it to the handler, write the handler's response,
 * repeat until the peer closes its side. Bad input never throws out of here
 * (so it never takes a daemon down): the peer gets the protocol's error
 * response where one exists and the stream is closed.
 *
 * @example
 * ```ts
 * peer.handle(CLAIM_PROTOCOL, (stream, connection) => serveStream(stream, {
 *   validate: validateClaimRequest,
 *   onMessage: request => claims.handle(request, connection.remotePeer),
 *   onInvalid: err => ({ type: 'refused', code: 'bad-request', reason: err.message })
 * }))
 * ```
 */
import type { Stream } from '@libp2p/interface'
import { wireStream } from './framing.ts'
import type { Validator, WireStreamOptions } from './framing.ts'
import { IDLE_STREAM_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from './constants.ts'
import { MessageTooLargeError, TruncatedMessageError, WireFormatError } from './errors.ts'

export interface ServeOptions<Req> extends WireStreamOptions {
  validate: Validator<Req>
  /** Handles one valid message; the returned value (unless undefined) is written back as the response. */
  onMessage: (message: Req) => unknown
  /** The response for a message that failed to decode or validate (none when absent). */
  onInvalid?: (err: Error) => unknown
  /** Any error that ended the stream (bad input, handler failure, timeout), for logging. */
  onError?: (err: Error) => void
  /** How long to wait for the next message, ms. */
  idleTimeoutMs?: number
  /** How long writing one response may take, ms. */
  writeTimeoutMs?: number
  /** Stops serving (daemon shutdown). */
  signal?: AbortSignal
}

function withTimeout (ms: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(ms)
  return signal != null ? AbortSignal.any([timeout, signal]) : timeout
}

/** Serves request/response messages on `stream` until the peer ends it; never throws. */
export async function serveStream<Req> (stream: Stream, options: ServeOptions<Req>): Promise<void> {
  const ws = wireStream(stream, options)
  const idleTimeoutMs = options.idleTimeoutMs ?? IDLE_STREAM_TIMEOUT_MS
  const writeTimeoutMs = options.writeTimeoutMs ?? REQUEST_TIMEOUT_MS
  try {
    while (true) {
      let message: Req | null
      try {
        message = await ws.read(options.validate, withTimeout(idleTimeoutMs, options.signal))
      } catch (err) {
        if (err instanceof WireFormatError || err instanceof MessageTooLargeError || err instanceof TruncatedMessageError) {
          await refuse(stream, ws.write.bind(ws), err, options, writeTimeoutMs)
          return
        }
        throw err
      }
      if (message === null) break
      const response = await options.onMessage(message)
      if (response !== undefined) await ws.write(response, withTimeout(writeTimeoutMs, options.signal))
    }
    await ws.close(AbortSignal.timeout(writeTimeoutMs))
  } catch (err) {
    options.onError?.(err as Error)
    stream.abort(err as Error)
  }
}

async function refuse<Req> (stream: Stream, write: (message: unknown, signal?: AbortSignal) => Promise<void>, err: Error, options: ServeOptions<Req>, writeTimeoutMs: number): Promise<void> {
  options.onError?.(err)
  try {
    // Drop whatever else the peer sends: nothing after bad input is trusted.
    await stream.closeRead()
    const response = options.onInvalid?.(err)
    if (response !== undefined && !(err instanceof TruncatedMessageError)) await write(response, AbortSignal.timeout(writeTimeoutMs))
    await stream.close({ signal: AbortSignal.timeout(writeTimeoutMs) })
  } catch (closeErr) {
    stream.abort(closeErr as Error)
  }
}
