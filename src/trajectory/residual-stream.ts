/**
 * Residuals ⇄ (rANS tokens + raw low bits), one frame at a time.
 *
 * A residual r is zigzagged to v = (r << 1) ^ (r >> 31); v < 16 is its own
 * token, larger v becomes token 16 + 2 (top − 4) + (bit top − 1 of v) where
 * top = floor(log2 v), and its low top − 1 bits go LSB-first into the raw
 * bit stream (see tokens.ts). Tokens are entropy-coded with the two-state
 * interleaved rANS of rans.ts: symbol s of a frame uses state s & 1.
 */
import { FREQ_CUM_STRIDE_BITS as IMPORTED_STRIDE_BITS, PROB_BITS as IMPORTED_PROB_BITS, RANS_LOW as IMPORTED_RANS_LOW, type DecodeTables } from './rans.ts'
import { TOKEN_ALPHABET as IMPORTED_TOKEN_ALPHABET, tokenBase } from './tokens.ts'
import { ChunkCorruptedError } from './errors.ts'
import { scratchUint8 } from './scratch.ts'

// Module-level copies: hot loops read plain constants.
const PROB_BITS = IMPORTED_PROB_BITS
const PROB_MASK = (1 << PROB_BITS) - 1
const TOKEN_ALPHABET = IMPORTED_TOKEN_ALPHABET
const RANS_LOW = IMPORTED_RANS_LOW
const STRIDE_BITS = IMPORTED_STRIDE_BITS

/** Token base value per token (the value without its raw low bits), as int32 bit patterns (values reach 2^32 − 1). */
const TOKEN_BASES = Int32Array.from({ length: TOKEN_ALPHABET }, (_, t) => tokenBase(t) | 0)
/** Raw low bits per token (0 for the direct tokens 0 … 15). */
const TOKEN_EXTRA_BITS = Int32Array.from({ length: TOKEN_ALPHABET }, (_, t) => t < 16 ? 0 : ((t - 16) >> 1) + 3)
/** Token of every zigzagged value below 2^16 (larger values take the slow path). */
const SMALL_VALUE_TOKENS = Uint8Array.from({ length: 1 << 16 }, (_, v) => v < 16 ? v : 16 + 2 * (31 - Math.clz32(v) - 4) + ((v >>> (31 - Math.clz32(v) - 1)) & 1))

/** Encoder side: tokens, per-context counts and the raw bit stream. */
export class ResidualTokenizer {
  /** One token per symbol of the chunk. */
  readonly tokens: Uint8Array
  /** Symbol counts per context × TOKEN_ALPHABET. */
  readonly counts: Uint32Array
  private readonly raw: Uint8Array
  /** Bits written to `raw` so far. */
  private bitAt = 0
  private tokenAt = 0

  /**
   * Symbol counts in two halves, for even and odd symbols: consecutive
   * increments of one counter then do not wait on each other.
   */
  private readonly splitCounts: Int32Array

  /** `raw` must hold 4 bytes per symbol plus 8; `counts` is filled by finishCounts. */
  constructor (tokens: Uint8Array, counts: Uint32Array, raw: Uint8Array) {
    this.tokens = tokens
    this.counts = counts
    this.raw = raw
    this.splitCounts = new Int32Array(2 * counts.length)
    raw[0] = 0
  }

  /** Tokenizes one frame's residuals, whose contexts are `template`. */
  addFrame (residuals: Int32Array, template: Uint8Array): void {
    const tokens = this.tokens
    const counts = this.splitCounts
    const half = this.counts.length
    const raw = this.raw
    let bitAt = this.bitAt
    let i = this.tokenAt
    const count = template.length
    for (let s = 0; s < count; s++, i++) {
      const r = residuals[s]
      const v = (r << 1) ^ (r >> 31) // zigzag, as an int32 bit pattern
      let token: number
      let bits: number
      let low: number
      if ((v >>> 16) === 0) {
        token = SMALL_VALUE_TOKENS[v]
        bits = TOKEN_EXTRA_BITS[token]
        low = v - TOKEN_BASES[token]
      } else {
        const top = 31 - Math.clz32(v)
        token = 16 + 2 * (top - 4) + ((v >>> (top - 1)) & 1)
        bits = top - 1
        low = v & ((1 << bits) - 1)
        if (bits > 24) {
          // Too wide for one window write: the low 16 bits first.
          writeBits(raw, bitAt, low & 0xffff)
          bitAt += 16
          low >>>= 16
          bits -= 16
        }
      }
      // Raw bits, LSB-first, without branches: the bytes past the write position are
      // overwritten (they hold no bits yet), only the first one is merged.
      const p = bitAt >>> 3
      const w = low << (bitAt & 7)
      raw[p] |= w & 0xff; raw[p + 1] = (w >>> 8) & 0xff; raw[p + 2] = (w >>> 16) & 0xff; raw[p + 3] = w >>> 24
      bitAt += bits
      tokens[i] = token
      counts[(s & 1) * half + template[s] * TOKEN_ALPHABET + token]++
    }
    this.bitAt = bitAt
    this.tokenAt = i
  }

  /** Fills `counts` (symbol counts per context × TOKEN_ALPHABET) and returns it. */
  finishCounts (): Uint32Array {
    const half = this.counts.length
    for (let i = 0; i < half; i++) this.counts[i] = this.splitCounts[i] + this.splitCounts[half + i]
    return this.counts
  }

  /** The raw bit stream (a view of the scratch passed in), last byte padded with zeros. */
  finishRaw (): Uint8Array {
    return this.raw.subarray(0, (this.bitAt + 7) >>> 3)
  }
}

/** Writes up to 24 bits at bit position `bitAt` (see ResidualTokenizer.addFrame). */
function writeBits (raw: Uint8Array, bitAt: number, value: number): void {
  const p = bitAt >>> 3
  const w = value << (bitAt & 7)
  raw[p] |= w & 0xff; raw[p + 1] = (w >>> 8) & 0xff; raw[p + 2] = (w >>> 16) & 0xff; raw[p + 3] = w >>> 24
}

/** Bytes a reader may look past the end of its streams (window reads, and one symbol's overrun before it is noticed). */
const READ_PADDING = 8

/** Decoder side: rANS states and the raw-bit reader, carried from frame to frame. */
export class ResidualReader {
  private readonly words: DataView
  private readonly raw: Uint8Array
  private readonly bits: DataView
  private readonly symbols: Uint8Array
  private readonly freqCum: Int32Array
  private readonly ransEnd: number
  private readonly rawBitEnd: number
  private x0: number
  private x1: number
  private ransAt: number
  private bitAt = 0

  /** Reads rANS bytes [ransStart, ransEnd) and raw bytes [rawStart, rawEnd) of `bytes`, with the tables of readFrequencyTables. */
  constructor (bytes: Uint8Array, ransStart: number, ransEnd: number, rawStart: number, rawEnd: number, tables: DecodeTables) {
    if (ransEnd - ransStart < 8) throw new ChunkCorruptedError('The trajectory chunk\'s entropy-coded section is too short.')
    // Both readers look a few bytes ahead: give each a copy with zero padding (small next to decoding).
    const rans = scratchUint8('decode-rans', ransEnd - ransStart + READ_PADDING)
    rans.set(bytes.subarray(ransStart, ransEnd))
    rans.fill(0, ransEnd - ransStart)
    const raw = scratchUint8('decode-raw', rawEnd - rawStart + READ_PADDING)
    raw.set(bytes.subarray(rawStart, rawEnd))
    raw.fill(0, rawEnd - rawStart)
    // One DataView each, read in the hot loop (TurboFan turns getUint16/32 into single loads).
    this.words = new DataView(rans.buffer, rans.byteOffset, rans.byteLength)
    this.raw = raw
    this.bits = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
    this.symbols = tables.symbols
    this.freqCum = tables.freqCum
    this.ransEnd = ransEnd - ransStart
    this.rawBitEnd = 8 * (rawEnd - rawStart)
    this.x0 = (rans[0] | (rans[1] << 8) | (rans[2] << 16) | (rans[3] << 24)) >>> 0
    this.x1 = (rans[4] | (rans[5] << 8) | (rans[6] << 16) | (rans[7] << 24)) >>> 0
    if (this.x0 >= 2 ** 31 || this.x1 >= 2 ** 31 || this.x0 < RANS_LOW || this.x1 < RANS_LOW) throw new ChunkCorruptedError('The trajectory chunk\'s entropy-coded section is corrupted.')
    this.ransAt = 8
  }

  /**
   * Decodes one frame's residuals (as many as `template` has contexts) into `out`.
   * Throws ChunkCorruptedError when a stream runs out.
   */
  readFrame (template: Uint8Array, out: Int32Array): void {
    const words = this.words
    const bits = this.bits
    const raw = this.raw
    const symbols = this.symbols
    const freqCum = this.freqCum
    let x0 = this.x0
    let x1 = this.x1
    let ransAt = this.ransAt
    let bitAt = this.bitAt
    const ransEnd = this.ransEnd
    const rawBitEnd = this.rawBitEnd
    const count = template.length
    // Symbol s uses state s & 1: two independent dependency chains the CPU overlaps.
    let s = 0
    for (; s + 1 < count; s += 2) {
      {
        const slot = x0 & PROB_MASK
        const context = template[s]
        const token = symbols[(context << PROB_BITS) | slot]
        const entry = freqCum[(context << STRIDE_BITS) | token]
        x0 = (entry & 0x1fff) * (x0 >>> PROB_BITS) + slot - (entry >>> 13)
        // Renormalise without a branch: n = 1 when the state fell below RANS_LOW.
        const n = (x0 - RANS_LOW) >>> 31
        x0 = (x0 << (n << 4)) | (words.getUint16(ransAt, true) & -n)
        ransAt += n << 1
        // Token → value without a branch: direct tokens take 0 raw bits.
        const need = TOKEN_EXTRA_BITS[token]
        let v: number
        if (need <= 24) v = (TOKEN_BASES[token] + ((bits.getUint32(bitAt >>> 3, true) >>> (bitAt & 7)) & ((1 << need) - 1))) | 0
        else v = (TOKEN_BASES[token] + readWideBits(raw, bitAt, need)) | 0
        bitAt += need
        out[s] = (v >>> 1) ^ -(v & 1)
      }
      {
        const slot = x1 & PROB_MASK
        const context = template[s + 1]
        const token = symbols[(context << PROB_BITS) | slot]
        const entry = freqCum[(context << STRIDE_BITS) | token]
        x1 = (entry & 0x1fff) * (x1 >>> PROB_BITS) + slot - (entry >>> 13)
        // Renormalise without a branch: n = 1 when the state fell below RANS_LOW.
        const n = (x1 - RANS_LOW) >>> 31
        x1 = (x1 << (n << 4)) | (words.getUint16(ransAt, true) & -n)
        ransAt += n << 1
        // Token → value without a branch: direct tokens take 0 raw bits.
        const need = TOKEN_EXTRA_BITS[token]
        let v: number
        if (need <= 24) v = (TOKEN_BASES[token] + ((bits.getUint32(bitAt >>> 3, true) >>> (bitAt & 7)) & ((1 << need) - 1))) | 0
        else v = (TOKEN_BASES[token] + readWideBits(raw, bitAt, need)) | 0
        bitAt += need
        out[s + 1] = (v >>> 1) ^ -(v & 1)
      }
      if (ransAt > ransEnd || bitAt > rawBitEnd) this.overrun()
    }
    if (s < count) {
      {
        const slot = x0 & PROB_MASK
        const context = template[s]
        const token = symbols[(context << PROB_BITS) | slot]
        const entry = freqCum[(context << STRIDE_BITS) | token]
        x0 = (entry & 0x1fff) * (x0 >>> PROB_BITS) + slot - (entry >>> 13)
        // Renormalise without a branch: n = 1 when the state fell below RANS_LOW.
        const n = (x0 - RANS_LOW) >>> 31
        x0 = (x0 << (n << 4)) | (words.getUint16(ransAt, true) & -n)
        ransAt += n << 1
        // Token → value without a branch: direct tokens take 0 raw bits.
        const need = TOKEN_EXTRA_BITS[token]
        let v: number
        if (need <= 24) v = (TOKEN_BASES[token] + ((bits.getUint32(bitAt >>> 3, true) >>> (bitAt & 7)) & ((1 << need) - 1))) | 0
        else v = (TOKEN_BASES[token] + readWideBits(raw, bitAt, need)) | 0
        bitAt += need
        out[s] = (v >>> 1) ^ -(v & 1)
      }
      if (ransAt > ransEnd || bitAt > rawBitEnd) this.overrun()
    }
    this.x0 = x0
    this.x1 = x1
    this.ransAt = ransAt
    this.bitAt = bitAt
  }

  private overrun (): never {
    throw new ChunkCorruptedError('The trajectory chunk\'s coordinate data ends before all its symbols (corrupted).')
  }

  /** Throws ChunkCorruptedError unless both streams ended exactly where they should. */
  finish (): void {
    if (this.ransAt !== this.ransEnd || this.x0 !== RANS_LOW || this.x1 !== RANS_LOW || ((this.bitAt + 7) >>> 3) !== (this.rawBitEnd >>> 3)) {
      throw new ChunkCorruptedError('The trajectory chunk\'s coordinate data does not decode to its announced size (corrupted).')
    }
  }
}

/** `need` (25 … 30) raw bits at bit position `bitAt`, as a non-negative number. */
function readWideBits (raw: Uint8Array, bitAt: number, need: number): number {
  const p = bitAt >>> 3
  const window = (raw[p] | (raw[p + 1] << 8) | (raw[p + 2] << 16)) >>> (bitAt & 7)
  const low = window & 0xffff
  const q = (bitAt + 16) >>> 3
  const rest = need - 16
  const high = ((raw[q] | (raw[q + 1] << 8) | (raw[q + 2] << 16)) >>> ((bitAt + 16) & 7)) & ((1 << rest) - 1)
  return low + high * 65536
}
