/**
 * Residuals ⇄ (rANS tokens + raw low bits), one frame at a time.
 *
 * A residual r is zigzagged to v = (r << 1) ^ (r >> 31); v < 16 is its own
 * token, larger v becomes token 16 + 2 (top − 4) + (bit top − 1 of v) where
 * top = floor(log2 v), and its low top − 1 bits go LSB-first into the raw
 * bit stream (see tokens.ts). Tokens are entropy-coded with the two-state
 * interleaved rANS of rans.ts: symbol s of a frame uses state s & 1.
 */
import { PROB_BITS as IMPORTED_PROB_BITS } from './rans.ts'
import { TOKEN_ALPHABET as IMPORTED_TOKEN_ALPHABET, tokenBase } from './tokens.ts'
import { ChunkCorruptedError } from './errors.ts'

// Module-level copies: hot loops read plain constants.
const PROB_BITS = IMPORTED_PROB_BITS
const PROB_MASK = (1 << PROB_BITS) - 1
const TOKEN_ALPHABET = IMPORTED_TOKEN_ALPHABET
const RANS_LOW = 1 << 23

/** Token base value per token (the value without its raw low bits), as int32 bit patterns (values reach 2^32 − 1). */
const TOKEN_BASES = Int32Array.from({ length: TOKEN_ALPHABET }, (_, t) => tokenBase(t) | 0)
/** Raw low bits per token. */
const TOKEN_EXTRA_BITS = Int32Array.from({ length: TOKEN_ALPHABET }, (_, t) => t < 16 ? 0 : ((t - 16) >> 1) + 3)

/** Encoder side: tokens, per-context counts and the raw bit stream. */
export class ResidualTokenizer {
  /** One token per symbol of the chunk. */
  readonly tokens: Uint8Array
  /** Symbol counts per context × TOKEN_ALPHABET. */
  readonly counts: Uint32Array
  private readonly raw: Uint8Array
  private rawAt = 0
  private acc = 0
  private accBits = 0
  private tokenAt = 0

  /** `raw` must hold 4 bytes per symbol plus 8. */
  constructor (tokens: Uint8Array, counts: Uint32Array, raw: Uint8Array) {
    this.tokens = tokens
    this.counts = counts
    this.raw = raw
  }

  /** Tokenizes one frame's residuals, whose contexts are `template`. */
  addFrame (residuals: Int32Array, template: Uint8Array): void {
    const tokens = this.tokens
    const counts = this.counts
    const raw = this.raw
    let rawAt = this.rawAt
    let acc = this.acc
    let accBits = this.accBits
    let i = this.tokenAt
    const count = template.length
    for (let s = 0; s < count; s++, i++) {
      const r = residuals[s]
      const v = ((r << 1) ^ (r >> 31)) >>> 0
      let token = v
      if (v >= 16) {
        const top = 31 - Math.clz32(v)
        token = 16 + 2 * (top - 4) + ((v >>> (top - 1)) & 1)
        let bits = top - 1
        let low = v & ((1 << bits) - 1)
        if (bits > 24) {
          acc |= (low & 0xffff) << accBits
          accBits += 16
          while (accBits >= 8) { raw[rawAt++] = acc & 0xff; acc >>>= 8; accBits -= 8 }
          low >>>= 16
          bits -= 16
        }
        acc |= low << accBits
        accBits += bits
        while (accBits >= 8) { raw[rawAt++] = acc & 0xff; acc >>>= 8; accBits -= 8 }
      }
      tokens[i] = token
      counts[template[s] * TOKEN_ALPHABET + token]++
    }
    this.rawAt = rawAt
    this.acc = acc
    this.accBits = accBits
    this.tokenAt = i
  }

  /** The raw bit stream (a view of the scratch passed in), last byte padded with zeros. */
  finishRaw (): Uint8Array {
    if (this.accBits > 0) { this.raw[this.rawAt++] = this.acc & 0xff; this.acc = 0; this.accBits = 0 }
    return this.raw.subarray(0, this.rawAt)
  }
}

/** Decoder side: rANS states and the raw-bit reader, carried from frame to frame. */
export class ResidualReader {
  private readonly bytes: Uint8Array
  private readonly lookup: Int32Array
  private readonly ransEnd: number
  private readonly rawEnd: number
  private x0: number
  private x1: number
  private ransAt: number
  private rawAt: number
  private acc = 0
  private accBits = 0

  /** Reads rANS bytes [ransStart, ransEnd) and raw bytes [rawStart, rawEnd) of `bytes`, with the lookup of readFrequencyTables. */
  constructor (bytes: Uint8Array, ransStart: number, ransEnd: number, rawStart: number, rawEnd: number, lookup: Int32Array) {
    if (ransEnd - ransStart < 8) throw new ChunkCorruptedError('The trajectory chunk\'s entropy-coded section is too short.')
    this.bytes = bytes
    this.lookup = lookup
    this.ransEnd = ransEnd
    this.rawEnd = rawEnd
    this.x0 = (bytes[ransStart] | (bytes[ransStart + 1] << 8) | (bytes[ransStart + 2] << 16) | (bytes[ransStart + 3] << 24)) >>> 0
    this.x1 = (bytes[ransStart + 4] | (bytes[ransStart + 5] << 8) | (bytes[ransStart + 6] << 16) | (bytes[ransStart + 7] << 24)) >>> 0
    if (this.x0 >= 2 ** 31 || this.x1 >= 2 ** 31) throw new ChunkCorruptedError('The trajectory chunk\'s entropy-coded section is corrupted.')
    this.ransAt = ransStart + 8
    this.rawAt = rawStart
  }

  /**
   * Decodes one frame's residuals (as many as `template` has contexts) into `out`.
   * Reads past the ends of a corrupted stream yield zeros; finish() reports them.
   */
  readFrame (template: Uint8Array, out: Int32Array): void {
    const bytes = this.bytes
    const lookup = this.lookup
    let x0 = this.x0
    let x1 = this.x1
    let ransAt = this.ransAt
    let rawAt = this.rawAt
    let acc = this.acc
    let accBits = this.accBits
    const count = template.length
    // Symbol s uses state s & 1: two independent dependency chains the CPU overlaps.
    let s = 0
    for (; s + 1 < count; s += 2) {
      {
        const slot = x0 & PROB_MASK
        const entry = lookup[(template[s] << PROB_BITS) | slot]
        x0 = ((entry >>> 7) & 0x1fff) * (x0 >>> PROB_BITS) + slot - (entry >>> 20)
        if (x0 < RANS_LOW) {
          x0 = (x0 << 8) | bytes[ransAt++]
          if (x0 < RANS_LOW) x0 = (x0 << 8) | bytes[ransAt++]
        }
        let v = entry & 0x7f
        if (v >= 16) {
          const need = TOKEN_EXTRA_BITS[v]
          if (need <= 24) {
            while (accBits < need) { acc |= bytes[rawAt++] << accBits; accBits += 8 }
            v = (TOKEN_BASES[v] + (acc & ((1 << need) - 1))) | 0
            acc >>>= need
            accBits -= need
          } else {
            while (accBits < 16) { acc |= bytes[rawAt++] << accBits; accBits += 8 }
            const low = acc & 0xffff
            acc >>>= 16
            accBits -= 16
            const rest = need - 16
            while (accBits < rest) { acc |= bytes[rawAt++] << accBits; accBits += 8 }
            v = (TOKEN_BASES[v] + low + (acc & ((1 << rest) - 1)) * 65536) | 0
            acc >>>= rest
            accBits -= rest
          }
        }
        out[s] = (v >>> 1) ^ -(v & 1)
      }
      {
        const slot = x1 & PROB_MASK
        const entry = lookup[(template[s + 1] << PROB_BITS) | slot]
        x1 = ((entry >>> 7) & 0x1fff) * (x1 >>> PROB_BITS) + slot - (entry >>> 20)
        if (x1 < RANS_LOW) {
          x1 = (x1 << 8) | bytes[ransAt++]
          if (x1 < RANS_LOW) x1 = (x1 << 8) | bytes[ransAt++]
        }
        let v = entry & 0x7f
        if (v >= 16) {
          const need = TOKEN_EXTRA_BITS[v]
          if (need <= 24) {
            while (accBits < need) { acc |= bytes[rawAt++] << accBits; accBits += 8 }
            v = (TOKEN_BASES[v] + (acc & ((1 << need) - 1))) | 0
            acc >>>= need
            accBits -= need
          } else {
            while (accBits < 16) { acc |= bytes[rawAt++] << accBits; accBits += 8 }
            const low = acc & 0xffff
            acc >>>= 16
            accBits -= 16
            const rest = need - 16
            while (accBits < rest) { acc |= bytes[rawAt++] << accBits; accBits += 8 }
            v = (TOKEN_BASES[v] + low + (acc & ((1 << rest) - 1)) * 65536) | 0
            acc >>>= rest
            accBits -= rest
          }
        }
        out[s + 1] = (v >>> 1) ^ -(v & 1)
      }
    }
    if (s < count) {
      {
        const slot = x0 & PROB_MASK
        const entry = lookup[(template[s] << PROB_BITS) | slot]
        x0 = ((entry >>> 7) & 0x1fff) * (x0 >>> PROB_BITS) + slot - (entry >>> 20)
        if (x0 < RANS_LOW) {
          x0 = (x0 << 8) | bytes[ransAt++]
          if (x0 < RANS_LOW) x0 = (x0 << 8) | bytes[ransAt++]
        }
        let v = entry & 0x7f
        if (v >= 16) {
          const need = TOKEN_EXTRA_BITS[v]
          if (need <= 24) {
            while (accBits < need) { acc |= bytes[rawAt++] << accBits; accBits += 8 }
            v = (TOKEN_BASES[v] + (acc & ((1 << need) - 1))) | 0
            acc >>>= need
            accBits -= need
          } else {
            while (accBits < 16) { acc |= bytes[rawAt++] << accBits; accBits += 8 }
            const low = acc & 0xffff
            acc >>>= 16
            accBits -= 16
            const rest = need - 16
            while (accBits < rest) { acc |= bytes[rawAt++] << accBits; accBits += 8 }
            v = (TOKEN_BASES[v] + low + (acc & ((1 << rest) - 1)) * 65536) | 0
            acc >>>= rest
            accBits -= rest
          }
        }
        out[s] = (v >>> 1) ^ -(v & 1)
      }
    }
    this.x0 = x0
    this.x1 = x1
    this.ransAt = ransAt
    this.rawAt = rawAt
    this.acc = acc
    this.accBits = accBits
  }

  /** Throws ChunkCorruptedError unless both streams ended exactly where they should. */
  finish (): void {
    if (this.ransAt !== this.ransEnd || this.x0 !== RANS_LOW || this.x1 !== RANS_LOW || this.rawAt !== this.rawEnd) {
      throw new ChunkCorruptedError('The trajectory chunk\'s coordinate data does not decode to its announced size (corrupted).')
    }
  }
}
