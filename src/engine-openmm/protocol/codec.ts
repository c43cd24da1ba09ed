/**
 * The binary pipe protocol between the node and the OpenMM helper
 * (helper/openmm_helper.py holds the same codec in Python).
 *
 *   message = u32 LE body length | u8 type | payload      (body = type + payload)
 *   payload = fields, each one of
 *     text  : u32 byte count | UTF-8 bytes
 *     f64[] : u32 count      | count x float64 LE
 *     f32[] : u32 count      | count x float32 LE
 *
 * Field kinds are not tagged: each message type has a fixed field list
 * (messages.ts). Every length read is bounded; a bad stream gives
 * OpenmmProtocolError.
 *
 * @example
 * const bytes = encodeMessage(MessageType.Run, [f64Field([5000, 500])])
 * const decoder = new MessageDecoder(); for (const m of decoder.push(bytes)) console.log(m.type)
 */
import { OpenmmProtocolError } from '../errors.ts'

/** Largest message either side accepts, bytes (System XML of a large system, positions of 1e7 atoms). */
export const MAX_MESSAGE_BYTES = 1 << 30

export interface RawMessage {
  readonly type: number
  readonly payload: Uint8Array
}

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder('utf-8', { fatal: true })

/** An encoded field, ready to be concatenated into a message. */
export type Field = Uint8Array

export function textField (text: string): Field {
  const utf8 = textEncoder.encode(text)
  const out = new Uint8Array(4 + utf8.length)
  new DataView(out.buffer).setUint32(0, utf8.length, true)
  out.set(utf8, 4)
  return out
}

export function f64Field (values: ArrayLike<number>): Field {
  const out = new Uint8Array(4 + 8 * values.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, values.length, true)
  for (let i = 0; i < values.length; i++) view.setFloat64(4 + 8 * i, values[i], true)
  return out
}

export function f32Field (values: ArrayLike<number>): Field {
  const out = new Uint8Array(4 + 4 * values.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, values.length, true)
  for (let i = 0; i < values.length; i++) view.setFloat32(4 + 4 * i, values[i], true)
  return out
}

/** One message: length prefix, type byte, the fields. */
export function encodeMessage (type: number, fields: readonly Field[] = []): Uint8Array {
  let bodyBytes = 1
  for (const field of fields) bodyBytes += field.length
  if (bodyBytes > MAX_MESSAGE_BYTES) throw new OpenmmProtocolError(`a message of ${bodyBytes} bytes is larger than the limit of ${MAX_MESSAGE_BYTES}`)
  const out = new Uint8Array(4 + bodyBytes)
  new DataView(out.buffer).setUint32(0, bodyBytes, true)
  out[4] = type
  let at = 5
  for (const field of fields) {
    out.set(field, at)
    at += field.length
  }
  return out
}

/** Reads the fields of one payload in order. */
export class PayloadReader {
  private readonly view: DataView
  private at = 0

  constructor (private readonly payload: Uint8Array) {
    this.view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  }

  private count (elementBytes: number, what: string): number {
    if (this.at + 4 > this.payload.length) throw new OpenmmProtocolError(`truncated ${what} field`)
    const count = this.view.getUint32(this.at, true)
    this.at += 4
    if (this.at + count * elementBytes > this.payload.length) throw new OpenmmProtocolError(`truncated ${what} field (${count} elements announced)`)
    return count
  }

  text (): string {
    const count = this.count(1, 'text')
    const bytes = this.payload.subarray(this.at, this.at + count)
    this.at += count
    try {
      return textDecoder.decode(bytes)
    } catch {
      throw new OpenmmProtocolError('a text field is not valid UTF-8')
    }
  }

  f64 (): Float64Array {
    const count = this.count(8, 'float64')
    const out = new Float64Array(count)
    for (let i = 0; i < count; i++, this.at += 8) out[i] = this.view.getFloat64(this.at, true)
    return out
  }

  f32 (): Float32Array {
    const count = this.count(4, 'float32')
    const out = new Float32Array(count)
    for (let i = 0; i < count; i++, this.at += 4) out[i] = this.view.getFloat32(this.at, true)
    return out
  }

  /** JSON carried in a text field (metadata only, never coordinates). */
  json<T> (): T {
    const text = this.text()
    try {
      return JSON.parse(text) as T
    } catch {
      throw new OpenmmProtocolError('a JSON field does not parse')
    }
  }

  /** Throws when bytes are left over: the message has more fields than its type allows. */
  end (): void {
    if (this.at !== this.payload.length) throw new OpenmmProtocolError(`${this.payload.length - this.at} unexpected trailing bytes in a message`)
  }
}

/**
 * Splits a byte stream (fed in pieces of any size) into messages.
 * `end()` throws when the stream stopped inside a message.
 */
export class MessageDecoder {
  private pending: Uint8Array[] = []
  private pendingBytes = 0

  constructor (private readonly maxMessageBytes = MAX_MESSAGE_BYTES) {}

  /** Adds bytes; returns the messages they complete, in order. */
  push (bytes: Uint8Array): RawMessage[] {
    if (bytes.length === 0) return []
    this.pending.push(bytes)
    this.pendingBytes += bytes.length
    const messages: RawMessage[] = []
    while (this.pendingBytes >= 4) {
      const head = this.peek(4)
      const bodyBytes = new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true)
      if (bodyBytes < 1 || bodyBytes > this.maxMessageBytes) {
        throw new OpenmmProtocolError(`a message announces ${bodyBytes} bytes, outside 1..${this.maxMessageBytes}`)
      }
      if (this.pendingBytes < 4 + bodyBytes) break
      const whole = this.take(4 + bodyBytes)
      messages.push({ type: whole[4], payload: whole.subarray(5) })
    }
    return messages
  }

  /** Bytes buffered that do not yet form a whole message. */
  get bufferedBytes (): number {
    return this.pendingBytes
  }

  end (): void {
    if (this.pendingBytes > 0) throw new OpenmmProtocolError(`the stream ended inside a message (${this.pendingBytes} bytes left over)`)
  }

  private peek (n: number): Uint8Array {
    const first = this.pending[0]
    if (first.length >= n) return first.subarray(0, n)
    return this.concat(n, false)
  }

  private take (n: number): Uint8Array {
    const first = this.pending[0]
    if (first.length >= n) {
      const out = first.subarray(0, n)
      if (first.length === n) this.pending.shift()
      else this.pending[0] = first.subarray(n)
      this.pendingBytes -= n
      return out
    }
    return this.concat(n, true)
  }

  private concat (n: number, consume: boolean): Uint8Array {
    const out = new Uint8Array(n)
    let at = 0
    let index = 0
    while (at < n) {
      const piece = this.pending[index]
      const used = Math.min(piece.length, n - at)
      out.set(piece.subarray(0, used), at)
      at += used
      if (consume) {
        if (used === piece.length) {
          this.pending.shift()
        } else {
          this.pending[0] = piece.subarray(used)
        }
      } else {
        index++
      }
    }
    if (consume) this.pendingBytes -= n
    return out
  }
}
