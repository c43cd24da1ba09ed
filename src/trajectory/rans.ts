/**
 * Static rANS entropy coder with one frequency table per context (the
 * tables are measured per chunk and sent with it). 32-bit state, byte-wise
 * renormalisation, 12-bit probabilities; encoding runs backwards over the
 * symbols, decoding forwards.
 */
import { TOKEN_ALPHABET as IMPORTED_TOKEN_ALPHABET } from './tokens.ts'
import { ChunkCorruptedError } from './errors.ts'
import type { ByteReader, ByteWriter } from './byte-io.ts'

export const PROB_BITS = 12
export const PROB_SCALE = 1 << PROB_BITS
const RANS_LOW = 1 << 23
/** Local copy of the imported constant (hot loops read it). */
const TOKEN_ALPHABET = IMPORTED_TOKEN_ALPHABET

/**
 * Turns symbol counts (contextCount × TOKEN_ALPHABET) into frequencies that
 * sum to PROB_SCALE per used context, every seen symbol at least 1. In place.
 */
export function normalizeFrequencies (counts: Uint32Array, contextCount: number): void {
  for (let c = 0; c < contextCount; c++) {
    const base = c * TOKEN_ALPHABET
    let total = 0
    for (let s = 0; s < TOKEN_ALPHABET; s++) total += counts[base + s]
    if (total === 0) continue
    let sum = 0
    let largest = base
    for (let s = 0; s < TOKEN_ALPHABET; s++) {
      const n = counts[base + s]
      if (n === 0) continue
      let f = Math.floor(n * PROB_SCALE / total)
      if (f < 1) f = 1
      counts[base + s] = f
      sum += f
      if (f > counts[largest]) largest = base + s
    }
    // Fix the sum: take from (or give to) the largest frequencies first.
    while (sum !== PROB_SCALE) {
      if (sum < PROB_SCALE) { counts[largest] += PROB_SCALE - sum; sum = PROB_SCALE; break }
      let excess = sum - PROB_SCALE
      for (let s = 0; s < TOKEN_ALPHABET && excess > 0; s++) {
        const f = counts[base + s]
        if (f > 1) {
          const cut = Math.min(f - 1, Math.max(1, Math.floor(excess * f / sum)))
          counts[base + s] -= cut
          excess -= cut
        }
      }
      sum = PROB_SCALE + excess
    }
  }
}

/** Writes frequency tables: per context, the number of leading symbols K then K varint frequencies. */
export function writeFrequencyTables (writer: ByteWriter, freqs: Uint32Array, contextCount: number): void {
  writer.u8(contextCount)
  for (let c = 0; c < contextCount; c++) {
    const base = c * TOKEN_ALPHABET
    let used = 0
    for (let s = 0; s < TOKEN_ALPHABET; s++) if (freqs[base + s] !== 0) used = s + 1
    writer.u8(used)
    for (let s = 0; s < used; s++) writer.varint(freqs[base + s])
  }
}

/** Upper bound of writeFrequencyTables' output, bytes. */
export function frequencyTablesMaxBytes (contextCount: number): number {
  return 1 + contextCount * (1 + 2 * TOKEN_ALPHABET)
}

/**
 * Reads tables and builds the decoding lookup: per context PROB_SCALE
 * entries packing symbol (7 bits) | frequency (13 bits) << 7 | cumulative (12 bits) << 20.
 */
export function readFrequencyTables (reader: ByteReader, expectedContexts: number): Uint32Array {
  const contextCount = reader.u8()
  if (contextCount !== expectedContexts) throw new ChunkCorruptedError(`The trajectory chunk has ${contextCount} entropy contexts where ${expectedContexts} belong.`)
  const lookup = new Uint32Array(contextCount * PROB_SCALE)
  for (let c = 0; c < contextCount; c++) {
    const used = reader.u8()
    if (used > TOKEN_ALPHABET) throw new ChunkCorruptedError('The trajectory chunk has a malformed entropy table.')
    let cum = 0
    for (let s = 0; s < used; s++) {
      const f = reader.varint()
      if (f === 0) continue
      if (cum + f > PROB_SCALE) throw new ChunkCorruptedError('The trajectory chunk has a malformed entropy table (frequencies overflow).')
      const entry = (s | (f << 7) | (cum << 20)) >>> 0
      lookup.fill(entry, c * PROB_SCALE + cum, c * PROB_SCALE + cum + f)
      cum += f
    }
    if (cum !== 0 && cum !== PROB_SCALE) throw new ChunkCorruptedError('The trajectory chunk has a malformed entropy table (frequencies do not sum to the scale).')
  }
  return lookup
}

/**
 * Encodes the tokens of `frameCount` frames whose contexts follow
 * `intraTemplate` (frame 0) and `interTemplate` (later frames), with the
 * given normalised frequencies. Returns the encoded bytes.
 */
export function ransEncode (tokens: Uint8Array, intraTemplate: Uint8Array, interTemplate: Uint8Array, frameCount: number,
  freqs: Uint32Array, contextCount: number): Uint8Array {
  const cumulative = new Uint32Array(contextCount * TOKEN_ALPHABET)
  const reciprocals = new Float64Array(contextCount * TOKEN_ALPHABET)
  for (let c = 0; c < contextCount; c++) {
    let cum = 0
    for (let s = 0; s < TOKEN_ALPHABET; s++) {
      const f = freqs[c * TOKEN_ALPHABET + s]
      cumulative[c * TOKEN_ALPHABET + s] = cum
      reciprocals[c * TOKEN_ALPHABET + s] = f > 0 ? 1 / f : 0
      cum += f
    }
  }
  const count = tokens.length
  // Each symbol costs at most PROB_BITS bits; spare bytes for the state.
  const capacity = Math.ceil(count * PROB_BITS / 8) + 16
  const out = new Uint8Array(capacity)
  const perFrame = intraTemplate.length
  let at = capacity
  let x = RANS_LOW
  let i = count - 1
  for (let f = frameCount - 1; f >= 0; f--) {
    const template = f === 0 ? intraTemplate : interTemplate
    for (let s = perFrame - 1; s >= 0; s--, i--) {
      const index = template[s] * TOKEN_ALPHABET + tokens[i]
      const freq = freqs[index]
      const limit = freq << (31 - PROB_BITS)
      while (x >= limit) { out[--at] = x & 0xff; x >>>= 8 }
      // x / freq through the reciprocal (off by at most one, then corrected): faster than dividing.
      let quotient = Math.floor(x * reciprocals[index])
      if (quotient * freq > x) quotient--
      else if ((quotient + 1) * freq <= x) quotient++
      x = quotient * PROB_SCALE + (x - quotient * freq) + cumulative[index]
    }
  }
  out[--at] = x >>> 24; out[--at] = (x >>> 16) & 0xff; out[--at] = (x >>> 8) & 0xff; out[--at] = x & 0xff
  return out.subarray(at)
}
