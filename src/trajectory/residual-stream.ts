/**
 * Residuals ⇄ (rANS tokens + raw low bits), one frame at a time.
 *
 * A residual r is zigzagged to v = (r << 1) ^ (r >> 31); v < 16 is its own
 * token, larger v becomes token 16 + 2 (top − 4) + (bit top − 1 of v) where
 * top = floor(log2 v), and its low top − 1 bits go LSB-first into the raw
 * bit stream (see tokens.ts). Tokens are entropy-coded with the two-state
 * interleaved rANS of rans.ts: symbol s of a frame uses state s & 1.
 */
import { PROB_BITS as IMPORTED_PROB_BITS, RANS_LOW as IMPORTED_RANS_LOW, type DecodeTables } from './rans.ts'
import { TOKEN_ALPHABET as IMPORTED_TOKEN_ALPHABET, tokenBase } from './tokens.ts'
import { ChunkCorruptedError } from './errors.ts'
import { scratchUint8 } from './scratch.ts'

// Module-level copies: hot loops read plain constants.
const PROB_BITS = IMPORTED_PROB_BITS
const PROB_MASK = (1 << PROB_BITS) - 1
const TOKEN_ALPHABET = IMPORTED_TOKEN_ALPHABET
const RANS_LOW = IMPORTED_RANS_LOW

/** Token base value per token (the value without its raw low bits), as int32 bit patterns (values reach 2^32 − 1). */
const TOKEN_BASES = Int32Array.from({ length: TOKEN_ALPHABET }, (_, t) => tokenBase(t) | 0)
/** Raw low bits per token (0 for the direct tokens 0 … 15). */
const TOKEN_EXTRA_BITS = Int32Array.from({ length: TOKEN_ALPHABET }, (_, t) => t < 16 ? 0 : ((t - 16) >> 1) + 3)

/**
 * Every zigzagged value below 2^16 (larger values take the slow path) as
 * token | raw bit count << 7 | raw bits << 12: one lookup per residual.
 */
const SMALL_VALUE_CODES = Int32Array.from({ length: 1 << 16 }, (_, v) => {
  const token = v < 16 ? v : 16 + 2 * (31 - Math.clz32(v) - 4) + ((v >>> (31 - Math.clz32(v) - 1)) & 1)
  const bits = TOKEN_EXTRA_BITS[token]
  return token | (bits << 7) | ((v - TOKEN_BASES[token]) << 12)
})

/** Encoder side: tokens, per-context counts and the raw bit stream. */
export class ResidualTokenizer {
  /** One token per symbol of the chunk. */
  readonly tokens: Uint8Array
  /** Symbol counts per context × TOKEN_ALPHABET. */
  readonly counts: Uint32Array
  private readonly raw: Uint8Array
  private readonly rawView: DataView
  /** Bits written to `raw` so far. */
  private bitAt = 0
  /** The bits of the partly written byte at bitAt >>> 3 (and zeros above them). */
  private pending = 0
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
    this.rawView = new DataView(raw.buffer, raw.byteOffset, raw.byteLength)
    this.splitCounts = new Int32Array(2 * counts.length)
  }

  /** Tokenizes one frame's residuals, whose contexts are `template`. */
  addFrame (residuals: Int32Array, template: Uint8Array): void {
    const tokens = this.tokens
    const counts = this.splitCounts
    const half = this.counts.length
    const rawView = this.rawView
    let bitAt = this.bitAt
    let pending = this.pending
    let i = this.tokenAt
    const count = template.length
    for (let s = 0; s < count; s++, i++) {
      const r = residuals[s]
      const v = (r << 1) ^ (r >> 31) // zigzag, as an int32 bit pattern
      let token: number
      let bits: number
      let low: number
      if ((v >>> 16) === 0) {
        const code = SMALL_VALUE_CODES[v]
        token = code & 0x7f
        bits = (code >>> 7) & 31
        low = code >>> 12
      } else {
        const top = 31 - Math.clz32(v)
        token = 16 + 2 * (top - 4) + ((v >>> (top - 1)) & 1)
        bits = top - 1
        low = v & ((1 << bits) - 1)
        if (bits > 24) {
          // Too wide for one window write: the low 16 bits first.
          const p = bitAt >>> 3
          const w = pending | ((low & 0xffff) << (bitAt & 7))
          rawView.setInt32(p, w, true)
          bitAt += 16
          pending = w >>> 16
          low >>>= 16
          bits -= 16
        }
      }
      // Raw bits, LSB-first, without branches: one 32-bit write of the partly written byte
      // and the new bits (at most 7 + 24), then keep what lies past the whole bytes written.
      const p = bitAt >>> 3
      const w = pending | (low << (bitAt & 7))
      rawView.setInt32(p, w, true)
      bitAt += bits
      pending = w >>> (((bitAt >>> 3) - p) << 3)
      tokens[i] = token
      counts[(s & 1) * half + template[s] * TOKEN_ALPHABET + token]++
    }
    this.bitAt = bitAt
    this.pending = pending
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

/**
 * Bytes a reader may look past the end of its streams: window reads, and
 * the overrun of up to four symbols (checked once per four) before it is
 * noticed, at most 2 rANS bytes and 30 raw bits each.
 */
const READ_PADDING = 32

/** Decoder side: rANS states and the raw-bit reader, carried from frame to frame. */
export class ResidualReader {
  private readonly words: DataView
  private readonly raw: Uint8Array
  private readonly bits: DataView
  private readonly slotSteps: Int32Array
  private readonly slotValues: Int16Array
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
    this.slotSteps = tables.slotSteps
    this.slotValues = tables.slotValues
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
    const slotSteps = this.slotSteps
    const slotValues = this.slotValues
    let x0 = this.x0
    let x1 = this.x1
    let ransAt = this.ransAt
    let bitAt = this.bitAt
    const ransEnd = this.ransEnd
    const rawBitEnd = this.rawBitEnd
    const count = template.length
    // Symbol s uses state s & 1: two independent dependency chains the CPU overlaps.
    // (The symbol step is written out for every symbol, inlined: a call per symbol costs more than it.)
    let s = 0
    // Four symbols per iteration (two per state), streams checked once per four (READ_PADDING).
    for (; s + 3 < count; s += 4) {
      {
        // Symbol s: state 0. One table entry gives the state update, another the value.
        const index = (template[s] << PROB_BITS) | (x0 & PROB_MASK)
        const step = slotSteps[index]
        x0 = (step & 0x1fff) * (x0 >>> PROB_BITS) + (step >>> 13)
        // Renormalise without a branch: n = 1 when the state fell below RANS_LOW.
        const n = (x0 - RANS_LOW) >>> 31
        x0 = (x0 << (n << 4)) | (words.getUint16(ransAt, true) & -n)
        ransAt += n << 1
        // Value = lead << need | need raw bits, without a branch (direct tokens take 0 bits).
        const value = slotValues[index]
        const need = value & 31
        let v: number
        if (need <= 24) v = ((value >>> 5) << need) | ((bits.getUint32(bitAt >>> 3, true) >>> (bitAt & 7)) & ((1 << need) - 1))
        else v = (((value >>> 5) << need) + readWideBits(raw, bitAt, need)) | 0
        bitAt += need
        out[s] = (v >>> 1) ^ -(v & 1)
      }
      {
        // Symbol s + 1: state 1. One table entry gives the state update, another the value.
        const index = (template[s + 1] << PROB_BITS) | (x1 & PROB_MASK)
        const step = slotSteps[index]
        x1 = (step & 0x1fff) * (x1 >>> PROB_BITS) + (step >>> 13)
        // Renormalise without a branch: n = 1 when the state fell below RANS_LOW.
        const n = (x1 - RANS_LOW) >>> 31
        x1 = (x1 << (n << 4)) | (words.getUint16(ransAt, true) & -n)
        ransAt += n << 1
        // Value = lead << need | need raw bits, without a branch (direct tokens take 0 bits).
        const value = slotValues[index]
        const need = value & 31
        let v: number
        if (need <= 24) v = ((value >>> 5) << need) | ((bits.getUint32(bitAt >>> 3, true) >>> (bitAt & 7)) & ((1 << need) - 1))
        else v = (((value >>> 5) << need) + readWideBits(raw, bitAt, need)) | 0
        bitAt += need
        out[s + 1] = (v >>> 1) ^ -(v & 1)
      }
      {
        // Symbol s + 2: state 0. One table entry gives the state update, another the value.
        const index = (template[s + 2] << PROB_BITS) | (x0 & PROB_MASK)
        const step = slotSteps[index]
        x0 = (step & 0x1fff) * (x0 >>> PROB_BITS) + (step >>> 13)
        // Renormalise without a branch: n = 1 when the state fell below RANS_LOW.
        const n = (x0 - RANS_LOW) >>> 31
        x0 = (x0 << (n << 4)) | (words.getUint16(ransAt, true) & -n)
        ransAt += n << 1
        // Value = lead << need | need raw bits, without a branch (direct tokens take 0 bits).
        const value = slotValues[index]
        const need = value & 31
        let v: number
        if (need <= 24) v = ((value >>> 5) << need) | ((bits.getUint32(bitAt >>> 3, true) >>> (bitAt & 7)) & ((1 << need) - 1))
        else v = (((value >>> 5) << need) + readWideBits(raw, bitAt, need)) | 0
        bitAt += need
        out[s + 2] = (v >>> 1) ^ -(v & 1)
      }
      {
        // Symbol s + 3: state 1. One table entry gives the state update, another the value.
        const index = (template[s + 3] << PROB_BITS) | (x1 & PROB_MASK)
        const step = slotSteps[index]
        x1 = (step & 0x1fff) * (x1 >>> PROB_BITS) + (step >>> 13)
        // Renormalise without a branch: n = 1 when the state fell below RANS_LOW.
        const n = (x1 - RANS_LOW) >>> 31
        x1 = (x1 << (n << 4)) | (words.getUint16(ransAt, true) & -n)
        ransAt += n << 1
        // Value = lead << need | need raw bits, without a branch (direct tokens take 0 bits).
        const value = slotValues[index]
        const need = value & 31
        let v: number
        if (need <= 24) v = ((value >>> 5) << need) | ((bits.getUint32(bitAt >>> 3, true) >>> (bitAt & 7)) & ((1 << need) - 1))
        else v = (((value >>> 5) << need) + readWideBits(raw, bitAt, need)) | 0
        bitAt += need
        out[s + 3] = (v >>> 1) ^ -(v & 1)
      }
      if (ransAt > ransEnd || bitAt > rawBitEnd) this.overrun()
    }
    for (; s + 1 < count; s += 2) {
      {
        // Symbol s: state 0. One table entry gives the state update, another the value.
        const index = (template[s] << PROB_BITS) | (x0 & PROB_MASK)
        const step = slotSteps[index]
        x0 = (step & 0x1fff) * (x0 >>> PROB_BITS) + (step >>> 13)
        // Renormalise without a branch: n = 1 when the state fell below RANS_LOW.
        const n = (x0 - RANS_LOW) >>> 31
        x0 = (x0 << (n << 4)) | (words.getUint16(ransAt, true) & -n)
        ransAt += n << 1
        // Value = lead << need | need raw bits, without a branch (direct tokens take 0 bits).
        const value = slotValues[index]
        const need = value & 31
        let v: number
        if (need <= 24) v = ((value >>> 5) << need) | ((bits.getUint32(bitAt >>> 3, true) >>> (bitAt & 7)) & ((1 << need) - 1))
        else v = (((value >>> 5) << need) + readWideBits(raw, bitAt, need)) | 0
        bitAt += need
        out[s] = (v >>> 1) ^ -(v & 1)
      }
      {
        // Symbol s + 1: state 1. One table entry gives the state update, another the value.
        const index = (template[s + 1] << PROB_BITS) | (x1 & PROB_MASK)
        const step = slotSteps[index]
        x1 = (step & 0x1fff) * (x1 >>> PROB_BITS) + (step >>> 13)
        // Renormalise without a branch: n = 1 when the state fell below RANS_LOW.
        const n = (x1 - RANS_LOW) >>> 31
        x1 = (x1 << (n << 4)) | (words.getUint16(ransAt, true) & -n)
        ransAt += n << 1
        // Value = lead << need | need raw bits, without a branch (direct tokens take 0 bits).
        const value = slotValues[index]
        const need = value & 31
        let v: number
        if (need <= 24) v = ((value >>> 5) << need) | ((bits.getUint32(bitAt >>> 3, true) >>> (bitAt & 7)) & ((1 << need) - 1))
        else v = (((value >>> 5) << need) + readWideBits(raw, bitAt, need)) | 0
        bitAt += need
        out[s + 1] = (v >>> 1) ^ -(v & 1)
      }
      if (ransAt > ransEnd || bitAt > rawBitEnd) this.overrun()
    }
    if (s < count) {
      {
        // Symbol s: state 0. One table entry gives the state update, another the value.
        const index = (template[s] << PROB_BITS) | (x0 & PROB_MASK)
        const step = slotSteps[index]
        x0 = (step & 0x1fff) * (x0 >>> PROB_BITS) + (step >>> 13)
        // Renormalise without a branch: n = 1 when the state fell below RANS_LOW.
        const n = (x0 - RANS_LOW) >>> 31
        x0 = (x0 << (n << 4)) | (words.getUint16(ransAt, true) & -n)
        ransAt += n << 1
        // Value = lead << need | need raw bits, without a branch (direct tokens take 0 bits).
        const value = slotValues[index]
        const need = value & 31
        let v: number
        if (need <= 24) v = ((value >>> 5) << need) | ((bits.getUint32(bitAt >>> 3, true) >>> (bitAt & 7)) & ((1 << need) - 1))
        else v = (((value >>> 5) << need) + readWideBits(raw, bitAt, need)) | 0
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
