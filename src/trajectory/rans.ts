/**
 * Static rANS entropy coder with one frequency table per context (the
 * tables are measured per chunk and sent with it). Two interleaved states
 * in [2^15, 2^31) sharing one byte stream (symbol s of a frame uses state
 * s & 1, so a decoder runs two independent dependency chains), renormalised
 * by one 16-bit little-endian word at a time (at most one per symbol, so
 * both directions run without data-dependent branches), 12-bit
 * probabilities; encoding runs backwards over the symbols, decoding
 * forwards. The stream starts with state 0 then state 1, 4 bytes each,
 * little-endian.
 */
import { DIRECT_TOKENS as IMPORTED_DIRECT_TOKENS, TOKEN_ALPHABET as IMPORTED_TOKEN_ALPHABET } from './tokens.ts'
import { ChunkCorruptedError } from './errors.ts'
import type { ByteReader, ByteWriter } from './byte-io.ts'
import { scratchFloat64, scratchInt16, scratchInt32, scratchUint8 } from './scratch.ts'

export const PROB_BITS = 12
export const PROB_SCALE = 1 << PROB_BITS
/** Lower bound of a normalised state (also the initial and final state). */
export const RANS_LOW = 1 << 15
/** Local copy of the imported constant (hot loops read it). */
const TOKEN_ALPHABET = IMPORTED_TOKEN_ALPHABET
const DIRECT_TOKENS = IMPORTED_DIRECT_TOKENS

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
 * Decoding tables of one chunk (scratch arrays, valid until the next
 * readFrequencyTables), indexed by context << PROB_BITS | slot, so one
 * lookup per symbol replaces a symbol search and a frequency lookup.
 */
export interface DecodeTables {
  /** The state update of the symbol owning the slot: frequency | (slot − cumulative frequency) << 13. */
  readonly slotSteps: Int32Array
  /**
   * The value of the symbol owning the slot, for residual-stream.ts: raw
   * bits to read | lead << 5, the token's value being lead << (raw bits)
   * plus those bits (lead = the token itself for the direct tokens).
   */
  readonly slotValues: Int16Array
}

/** Token → raw bits | lead << 5 (see DecodeTables.slotValues). */
const TOKEN_VALUES = Int16Array.from({ length: TOKEN_ALPHABET }, (_, t) => {
  if (t < DIRECT_TOKENS) return t << 5
  const k = t - DIRECT_TOKENS
  return ((k >> 1) + 3) | ((2 | (k & 1)) << 5)
})

/**
 * Reads tables and builds the decoding tables. Unused contexts map every
 * slot to symbol 0 of frequency 0 (a stream that uses one fails its
 * end-of-stream check).
 */
export function readFrequencyTables (reader: ByteReader, expectedContexts: number): DecodeTables {
  const contextCount = reader.u8()
  if (contextCount !== expectedContexts) throw new ChunkCorruptedError(`The trajectory chunk has ${contextCount} entropy contexts where ${expectedContexts} belong.`)
  const slotSteps = scratchInt32('rans-slot-steps', contextCount * PROB_SCALE)
  const slotValues = scratchInt16('rans-slot-values', contextCount * PROB_SCALE)
  for (let c = 0; c < contextCount; c++) {
    const used = reader.u8()
    if (used > TOKEN_ALPHABET) throw new ChunkCorruptedError('The trajectory chunk has a malformed entropy table.')
    const base = c * PROB_SCALE
    let cum = 0
    for (let s = 0; s < used; s++) {
      const f = reader.varint()
      if (f === 0) continue
      if (cum + f > PROB_SCALE) throw new ChunkCorruptedError('The trajectory chunk has a malformed entropy table (frequencies overflow).')
      const value = TOKEN_VALUES[s]
      for (let slot = cum; slot < cum + f; slot++) {
        slotSteps[base + slot] = f | ((slot - cum) << 13)
        slotValues[base + slot] = value
      }
      cum += f
    }
    if (cum !== 0 && cum !== PROB_SCALE) throw new ChunkCorruptedError('The trajectory chunk has a malformed entropy table (frequencies do not sum to the scale).')
    if (cum === 0) {
      // Symbol 0 with frequency 0: the state becomes its slot.
      for (let slot = 0; slot < PROB_SCALE; slot++) { slotSteps[base + slot] = slot << 13; slotValues[base + slot] = 0 }
    }
  }
  return { slotSteps, slotValues }
}

/** f · LIMIT_SCALE is the state at which a symbol of frequency f renormalises first (2^31 / PROB_SCALE). */
const LIMIT_SCALE = 2 ** (31 - PROB_BITS)

/** 1 + 2^-45: biases reciprocals up so floor(x · r) is exactly floor(x / f) for x < 2^31, f ≤ 2^12. */
const RECIPROCAL_BIAS = 1 + 2 ** -45

/**
 * Encodes the tokens of `frameCount` frames whose contexts follow
 * `intraTemplate` (frame 0) and `interTemplate` (later frames), with the
 * given normalised frequencies. Returns the encoded bytes (a scratch view,
 * valid until the next call: copy what you keep).
 */
export function ransEncode (tokens: Uint8Array, intraTemplate: Uint8Array, interTemplate: Uint8Array, frameCount: number,
  freqs: Uint32Array, contextCount: number): Uint8Array {
  const tableSize = contextCount * TOKEN_ALPHABET
  // Per (context, token): x ↦ x + cumulative + floor(x / f) (PROB_SCALE − f), renormalising
  // first while x ≥ f · 2^19, with an exact reciprocal of f. One Int32 holds
  // cumulative | (PROB_SCALE − f) << 12, so a symbol costs two table lookups.
  const steps = scratchInt32('rans-encode-steps', tableSize)
  const reciprocals = scratchFloat64('rans-encode-reciprocals', tableSize)
  for (let c = 0; c < contextCount; c++) {
    let cum = 0
    for (let s = 0; s < TOKEN_ALPHABET; s++) {
      const index = c * TOKEN_ALPHABET + s
      const f = freqs[index]
      steps[index] = f > 0 ? cum | ((PROB_SCALE - f) << 12) : 0
      reciprocals[index] = f > 0 ? (1 / f) * RECIPROCAL_BIAS : 0
      cum += f
    }
  }
  const count = tokens.length
  // Each symbol costs at most PROB_BITS bits; spare bytes for the states and word granularity.
  const capacity = Math.ceil(count * PROB_BITS / 8) + 32
  const out = scratchUint8('rans-out', capacity)
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength)
  const perFrame = intraTemplate.length
  let at = capacity
  let x0 = RANS_LOW
  let x1 = RANS_LOW
  let i = count - 1
  // One symbol: with e = steps[index], f = PROB_SCALE − (e >>> 12); renormalise (n = 1) when
  // x > f · 2^19 − 1, writing the low word unconditionally and keeping it only then (no
  // branch); then x + (e & 0xfff) + floor(x / f) · (e >>> 12). Inlined below (per symbol, a call
  // costs more than the step).
  for (let f = frameCount - 1; f >= 0; f--) {
    const template = f === 0 ? intraTemplate : interTemplate
    let s = perFrame - 1
    if ((s & 1) === 0) {
      // Odd symbol count: the last one belongs to state 0 alone.
      const index = template[s] * TOKEN_ALPHABET + tokens[i]
      const e = steps[index]
      const complement = e >>> 12
      const n = ((PROB_SCALE - complement) * LIMIT_SCALE - 1 - x0) >>> 31
      view.setUint16(at - 2, x0 & 0xffff, true)
      at -= n << 1
      x0 >>>= n << 4
      x0 = x0 + (e & 0xfff) + Math.floor(x0 * reciprocals[index]) * complement
      s--; i--
    }
    for (; s > 0; s -= 2, i -= 2) {
      // Symbol s (state 1) first, then s − 1 (state 0): the reverse of the decoder's order.
      const index1 = template[s] * TOKEN_ALPHABET + tokens[i]
      const e1 = steps[index1]
      const complement1 = e1 >>> 12
      const n1 = ((PROB_SCALE - complement1) * LIMIT_SCALE - 1 - x1) >>> 31
      view.setUint16(at - 2, x1 & 0xffff, true)
      at -= n1 << 1
      x1 >>>= n1 << 4
      x1 = x1 + (e1 & 0xfff) + Math.floor(x1 * reciprocals[index1]) * complement1
      const index0 = template[s - 1] * TOKEN_ALPHABET + tokens[i - 1]
      const e0 = steps[index0]
      const complement0 = e0 >>> 12
      const n0 = ((PROB_SCALE - complement0) * LIMIT_SCALE - 1 - x0) >>> 31
      view.setUint16(at - 2, x0 & 0xffff, true)
      at -= n0 << 1
      x0 >>>= n0 << 4
      x0 = x0 + (e0 & 0xfff) + Math.floor(x0 * reciprocals[index0]) * complement0
    }
  }
  out[--at] = x1 >>> 24; out[--at] = (x1 >>> 16) & 0xff; out[--at] = (x1 >>> 8) & 0xff; out[--at] = x1 & 0xff
  out[--at] = x0 >>> 24; out[--at] = (x0 >>> 16) & 0xff; out[--at] = (x0 >>> 8) & 0xff; out[--at] = x0 & 0xff
  return out.subarray(at)
}
