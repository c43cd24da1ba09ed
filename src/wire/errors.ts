/**
 * Typed errors of the wire layer. One class per failure; tests and callers
 * branch on `name`, never on message text.
 */

/** Base of every wire-level error. */
export class WireError extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'WireError'
  }
}

/** A message that is not valid CBOR, or whose shape/fields break the protocol's schema. */
export class WireFormatError extends WireError {
  /** Dotted path of the offending field, e.g. `capabilities.cpuCores` ('' for the whole message). */
  readonly field: string
  constructor (message: string, field = '', options?: { cause?: unknown }) {
    super(field === '' ? message : `${field}: ${message}`, options)
    this.name = 'WireFormatError'
    this.field = field
  }
}

/** A message (announced or about to be sent) larger than the protocol allows. */
export class MessageTooLargeError extends WireError {
  readonly sizeBytes: number
  readonly maxBytes: number
  constructor (sizeBytes: number, maxBytes: number, what = 'message') {
    super(`The ${what} is ${sizeBytes} bytes, more than the limit of ${maxBytes} bytes.`)
    this.name = 'MessageTooLargeError'
    this.sizeBytes = sizeBytes
    this.maxBytes = maxBytes
  }
}

/** The stream ended in the middle of a message (length prefix or body). */
export class TruncatedMessageError extends WireError {
  constructor (message: string) {
    super(message)
    this.name = 'TruncatedMessageError'
  }
}

/** A read, write or request did not finish before its AbortSignal's timeout. */
export class WireTimeoutError extends WireError {
  constructor (what: string, options?: { cause?: unknown }) {
    super(`Timed out waiting for ${what}; the peer may be overloaded or gone.`, options)
    this.name = 'WireTimeoutError'
  }
}

/** The peer closed the stream before sending the response to a request. */
export class NoResponseError extends WireError {
  constructor (protocol: string) {
    super(`The peer closed the ${protocol} stream without answering.`)
    this.name = 'NoResponseError'
  }
}

/** An encoded chunk of frames that is truncated, malformed or of an unknown version. */
export class ChunkFormatError extends WireError {
  constructor (message: string) {
    super(message)
    this.name = 'ChunkFormatError'
  }
}

/** An encoded chunk whose CRC32 does not match its contents (corrupted in transit or on disk). */
export class ChunkChecksumError extends WireError {
  constructor (expected: number, actual: number) {
    super(`Chunk checksum mismatch (stored ${expected.toString(16)}, computed ${actual.toString(16)}): the chunk was corrupted.`)
    this.name = 'ChunkChecksumError'
  }
}

/** A request on a long-lived stream was cut short because the stream was dropped (an earlier request on it failed or timed out, or the link closed). */
export class ChannelResetError extends WireError {
  constructor (protocol: string) {
    super(`The ${protocol} stream to the coordinator was reset before its answer came; the request may be sent again.`)
    this.name = 'ChannelResetError'
  }
}
