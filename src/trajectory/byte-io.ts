/**
 * Little-endian byte writer and reader over one preallocated buffer, with
 * unsigned LEB128 varints. The reader throws ChunkCorruptedError when asked
 * for bytes past its end (a chunk whose CRC matched but whose content
 * contradicts its own lengths cannot happen by accident; this guards bugs and
 * forged input).
 */
import { ChunkCorruptedError } from './errors.ts'

export class ByteWriter {
  readonly bytes: Uint8Array
  readonly view: DataView
  offset = 0
  /** Writes into `into` (at least `capacity` bytes, e.g. a scratch array) when given, else into a new array. */
  constructor (capacity: number, into?: Uint8Array) {
    this.bytes = into ?? new Uint8Array(capacity)
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength)
  }

  u8 (value: number): void { this.bytes[this.offset++] = value }
  u16 (value: number): void { this.view.setUint16(this.offset, value, true); this.offset += 2 }
  i16 (value: number): void { this.view.setInt16(this.offset, value, true); this.offset += 2 }
  u32 (value: number): void { this.view.setUint32(this.offset, value, true); this.offset += 4 }
  f64 (value: number): void { this.view.setFloat64(this.offset, value, true); this.offset += 8 }
  /** Unsigned integer up to 2^53 as LEB128. */
  varint (value: number): void {
    while (value >= 0x80) {
      this.bytes[this.offset++] = (value % 0x80) | 0x80
      value = Math.floor(value / 0x80)
    }
    this.bytes[this.offset++] = value
  }

  raw (data: Uint8Array): void { this.bytes.set(data, this.offset); this.offset += data.length }
}

export class ByteReader {
  readonly bytes: Uint8Array
  readonly view: DataView
  offset: number
  readonly end: number
  constructor (bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.offset = offset
    this.end = end
  }

  need (count: number): void {
    if (this.offset + count > this.end) throw new ChunkCorruptedError(`The trajectory chunk's content is inconsistent: a section runs past its end (at byte ${this.offset}, ${count} more bytes needed).`)
  }

  u8 (): number { this.need(1); return this.bytes[this.offset++] }
  u16 (): number { this.need(2); const v = this.view.getUint16(this.offset, true); this.offset += 2; return v }
  i16 (): number { this.need(2); const v = this.view.getInt16(this.offset, true); this.offset += 2; return v }
  u32 (): number { this.need(4); const v = this.view.getUint32(this.offset, true); this.offset += 4; return v }
  f64 (): number { this.need(8); const v = this.view.getFloat64(this.offset, true); this.offset += 8; return v }
  varint (): number {
    let value = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      const byte = this.u8()
      value += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) return value
      scale *= 0x80
    }
    throw new ChunkCorruptedError('The trajectory chunk holds a malformed variable-length integer.')
  }

  /** A view of the next `count` bytes (no copy). */
  take (count: number): Uint8Array {
    this.need(count)
    const out = this.bytes.subarray(this.offset, this.offset + count)
    this.offset += count
    return out
  }
}
