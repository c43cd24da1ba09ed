/**
 * Coordinates of a chunk: quantization, prediction and entropy coding.
 *
 * Lossy mode: every coordinate is first put on the integer lattice
 * q = round(x / P). Frame 0 of a chunk predicts each atom from the previous
 * lattice atom (neighbours in the file are neighbours in space); later frames
 * predict from the same atom's past with a linear predictor
 *   q̂_t = q_{t-1} + (c1 (q_{t-1} − q_{t-2}) + c2 (q_{t-2} − q_{t-3})) / 256
 * whose coefficients are fitted per chunk and atom class by least squares
 * (c1 = c2 = 0 is a plain temporal delta; c1 = 256 a second-order one).
 * Rigid triplets (waters) code their second and third atoms in a local frame
 * (see rigid-triplets.ts). Lossless mode maps float32 bit patterns to ordered
 * integers and uses the same lattice path; every step is exact integer math
 * modulo 2^32, so the bits come back unchanged.
 *
 * Residuals become tokens coded with static rANS, one table per context;
 * the low bits of large residuals travel raw.
 *
 * Section layout: u8 flags (bit 0: rigid triplets) | 2 × (i16 c1, i16 c2) |
 * [triplet plan] | frequency tables | u32 rANS bytes | rANS | u32 raw bytes | raw;
 * or, when coding would not be smaller (noise-like input), u8 flags = 2 then
 * the coordinates as plain float32 — so no chunk is much larger than raw.
 */
import { ByteReader, ByteWriter } from './byte-io.ts'
import { ChunkCorruptedError, CoordinateRangeError, InvalidFramesError } from './errors.ts'
import { frequencyTablesMaxBytes, normalizeFrequencies, PROB_BITS as IMPORTED_PROB_BITS, ransEncode, readFrequencyTables, writeFrequencyTables } from './rans.ts'
import { TOKEN_ALPHABET as IMPORTED_TOKEN_ALPHABET, tokenBase } from './tokens.ts'
import { scratchInt32, scratchRawBytes, scratchUint8 } from './scratch.ts'
import * as rigid from './rigid-triplets.ts'
import type { TripletPlan } from './rigid-triplets.ts'

// Module-level copies of imported bindings: hot loops then read plain
// constants instead of going through live-binding accessors.
const PROB_BITS = IMPORTED_PROB_BITS
const PROB_SCALE = 1 << PROB_BITS
const TOKEN_ALPHABET = IMPORTED_TOKEN_ALPHABET
const basisAlong = rigid.basisAlong
const basisWithPlane = rigid.basisWithPlane
const remainingComponent = rigid.remainingComponent
const stepForBasis = rigid.stepForBasis
const emptyPlan = rigid.emptyPlan
const planRigidTriplets = rigid.planRigidTriplets
const readTripletPlan = rigid.readTripletPlan
const writeTripletPlan = rigid.writeTripletPlan
const tripletPlanMaxBytes = rigid.tripletPlanMaxBytes

// Atom kinds (as in rigid-triplets.ts; local so hot loops read constants, not module bindings).
const ATOM_LATTICE = 0
const ATOM_TRIPLET_HEAD = 1
const ATOM_TRIPLET_SECOND = 2
const CTX_INTRA = 0
const CTX_INTER_OTHER = 1
const CTX_INTER_HEAD = 2
const CTX_SECOND_TANGENT = 3
const CTX_SECOND_TANGENT_INTRA = 4
const CTX_SIGN = 5
const CTX_SECOND_RADIAL = 6
const CTX_THIRD_TANGENT = 7
const CTX_THIRD_TANGENT_INTRA = 8
const CTX_THIRD_RESIDUAL = 9
export const CONTEXT_COUNT = 10

const SECTION_FLAG_TRIPLETS = 1
/** The coordinates are stored as plain float32 (when coding would not make them smaller). */
const SECTION_FLAG_RAW = 2
const LPC_SCALE = 256
/** 1/256, exact: multiplying by it equals dividing by LPC_SCALE. */
const LPC_INVERSE = 1 / LPC_SCALE
const LPC_LIMIT = 2 * LPC_SCALE
const MAX_LATTICE = 2 ** 31 - 2

export interface CoordinateBlock {
  /** Positions, nm, frame-major: frameCount × atomCount × 3. */
  readonly coords: Float32Array
  readonly atomCount: number
  readonly frameCount: number
  /** Lattice spacing P, nm (ignored when lossless). */
  readonly precisionNm: number
  readonly lossless: boolean
}

/** Linear predictor coefficients (× 256) per atom class: [other c1, other c2, head c1, head c2]. */
type Coefficients = Int16Array

function fitCoefficients (q: Int32Array, kinds: Uint8Array, atomCount: number, frameCount: number, out: Coefficients): void {
  const stride = 3 * atomCount
  // Least squares over both atom classes in one pass: sums[6 * class + i] = s11, s12, s22, s1y, s2y.
  const sums = new Float64Array(12)
  for (let f = 2; f < frameCount; f++) {
    const base = f * stride
    for (let a = 0; a < atomCount; a++) {
      const cls = kinds[a]
      if (cls > 1) continue
      const o = 6 * cls
      for (let k = 0; k < 3; k++) {
        const j = base + 3 * a + k
        const y = (q[j] - q[j - stride]) | 0
        const d1 = (q[j - stride] - q[j - 2 * stride]) | 0
        const d2 = f >= 3 ? (q[j - 2 * stride] - q[j - 3 * stride]) | 0 : 0
        sums[o] += d1 * d1; sums[o + 1] += d1 * d2; sums[o + 2] += d2 * d2; sums[o + 3] += d1 * y; sums[o + 4] += d2 * y
      }
    }
  }
  for (let cls = 0; cls < 2; cls++) {
    const o = 6 * cls
    const s11 = sums[o]; const s12 = sums[o + 1]; const s22 = sums[o + 2]; const s1y = sums[o + 3]; const s2y = sums[o + 4]
    let c1 = 0; let c2 = 0
    const det = s11 * s22 - s12 * s12
    if (det > 1e-9 * (s11 * s22 + 1)) { c1 = (s1y * s22 - s2y * s12) / det; c2 = (s2y * s11 - s1y * s12) / det } else if (s11 > 0) { c1 = s1y / s11 }
    const clamp = (c: number): number => Number.isFinite(c) ? Math.max(-LPC_LIMIT, Math.min(LPC_LIMIT, Math.round(c * LPC_SCALE))) : 0
    out[2 * cls] = clamp(c1)
    out[2 * cls + 1] = clamp(c2)
  }
  // Keep each fit only if it beats the plain temporal delta in absolute residual (one pass for both classes).
  const costs = new Float64Array(4)
  for (let f = 2; f < frameCount; f++) {
    const base = f * stride
    for (let a = 0; a < atomCount; a++) {
      const cls = kinds[a]
      if (cls > 1) continue
      const i1 = out[2 * cls]; const i2 = out[2 * cls + 1]
      for (let k = 0; k < 3; k++) {
        const j = base + 3 * a + k
        const x1 = q[j - stride]
        const d1 = (x1 - q[j - 2 * stride]) | 0
        const d2 = f >= 3 ? (q[j - 2 * stride] - q[j - 3 * stride]) | 0 : 0
        costs[2 * cls] += Math.abs((q[j] - ((x1 + Math.floor((i1 * d1 + i2 * d2 + 128) * LPC_INVERSE)) | 0)) | 0)
        costs[2 * cls + 1] += Math.abs((q[j] - x1) | 0)
      }
    }
  }
  for (let cls = 0; cls < 2; cls++) if (!(costs[2 * cls] < costs[2 * cls + 1])) { out[2 * cls] = 0; out[2 * cls + 1] = 0 }
}

/** Lattice values of all coordinates. Throws CoordinateRangeError. */
function quantize (block: CoordinateBlock): Int32Array {
  const { coords, lossless, precisionNm } = block
  const q = scratchInt32(0, coords.length)
  const inverse = 1 / precisionNm
  if (lossless) {
    const bits = new Int32Array(coords.buffer, coords.byteOffset, coords.length)
    for (let i = 0; i < q.length; i++) {
      const b = bits[i]
      if ((b & 0x7f800000) === 0x7f800000) throw new InvalidFramesError(`Frame ${Math.floor(i / (3 * block.atomCount))} has a non-finite coordinate for atom ${Math.floor(i / 3) % block.atomCount}.`)
      q[i] = b ^ ((b >> 31) & 0x7fffffff)
    }
    return q
  }
  for (let i = 0; i < q.length; i++) {
    // floor(x/P + 1/2) via the reciprocal: much faster than Math.round(x / P) in V8, and the
    // last-bit differences at exact halves stay within the bound (tests allow 1e-9 relative).
    const r = Math.floor(coords[i] * inverse + 0.5)
    if (!(r <= MAX_LATTICE && r >= -MAX_LATTICE)) {
      if (!Number.isFinite(coords[i])) throw new InvalidFramesError(`Frame ${Math.floor(i / (3 * block.atomCount))} has a non-finite coordinate for atom ${Math.floor(i / 3) % block.atomCount}.`)
      throw new CoordinateRangeError(coords[i], precisionNm)
    }
    q[i] = r
  }
  return q
}

/**
 * The context of every symbol of a frame, which depends only on the atom
 * kinds (never on decoded values), so symbols can be entropy-decoded in one
 * tight pass before positions are rebuilt.
 */
function contextTemplate (kinds: Uint8Array, intra: boolean): Uint8Array {
  let length = 0
  for (let a = 0; a < kinds.length; a++) length += kinds[a] <= ATOM_TRIPLET_HEAD ? 3 : 4
  const template = new Uint8Array(length)
  let at = 0
  for (let a = 0; a < kinds.length; a++) {
    const kind = kinds[a]
    if (kind <= ATOM_TRIPLET_HEAD) {
      const context = intra ? CTX_INTRA : (kind === ATOM_LATTICE ? CTX_INTER_OTHER : CTX_INTER_HEAD)
      template[at++] = context; template[at++] = context; template[at++] = context
    } else if (kind === ATOM_TRIPLET_SECOND) {
      const tangent = intra ? CTX_SECOND_TANGENT_INTRA : CTX_SECOND_TANGENT
      template[at++] = tangent; template[at++] = tangent; template[at++] = CTX_SIGN; template[at++] = CTX_SECOND_RADIAL
    } else {
      template[at++] = intra ? CTX_THIRD_TANGENT_INTRA : CTX_THIRD_TANGENT; template[at++] = CTX_SIGN
      template[at++] = CTX_THIRD_RESIDUAL; template[at++] = CTX_THIRD_RESIDUAL
    }
  }
  return template
}

/** Token base value per token (the value without its raw low bits). */
const TOKEN_BASES = Float64Array.from({ length: TOKEN_ALPHABET }, (_, t) => tokenBase(t))
/** Raw low bits per token. */
const TOKEN_EXTRA_BITS = Uint8Array.from({ length: TOKEN_ALPHABET }, (_, t) => t < 16 ? 0 : ((t - 16) >> 1) + 3)

/**
 * Per geometry: where the third atom's circle lies along the first→second
 * axis (d01² + d02² − d12²)/(2 d01), nm, and its radius, nm.
 */
function thirdAtomCircles (geometries: Float64Array): Float64Array {
  const count = geometries.length / 3
  const circles = new Float64Array(2 * count)
  for (let g = 0; g < count; g++) {
    const d01 = geometries[3 * g]; const d02 = geometries[3 * g + 1]; const d12 = geometries[3 * g + 2]
    const along = (d01 * d01 + d02 * d02 - d12 * d12) / (2 * d01)
    circles[2 * g] = along
    circles[2 * g + 1] = remainingComponent(d02, along, 0)
  }
  return circles
}

/**
 * Pass 1 of the encoder: residuals of all symbols, frame by frame, in the
 * order of the context template. Rebuilds rigid-triplet positions exactly as
 * the decoder will.
 */
function computeResiduals (block: CoordinateBlock, q: Int32Array, plan: TripletPlan, coefficients: Coefficients, symbolsPerFrame: number): Int32Array {
  const { coords, atomCount, frameCount } = block
  const stride = 3 * atomCount
  const precision = block.precisionNm
  const kinds = plan.kinds
  const residuals = scratchInt32(1, frameCount * symbolsPerFrame)
  const hasTriplets = plan.tripletCount > 0
  let previous = new Float64Array(hasTriplets ? stride : 0)
  let current = new Float64Array(hasTriplets ? stride : 0)
  const basis = new Float64Array(9)
  const geometries = plan.geometries
  const circles = thirdAtomCircles(geometries)
  let at = 0
  for (let f = 0; f < frameCount; f++) {
    const base = f * stride
    let lastLattice = -1
    for (let a = 0; a < atomCount; a++) {
      const kind = kinds[a]
      if (kind <= ATOM_TRIPLET_HEAD) {
        const c1 = coefficients[2 * kind]
        const c2 = coefficients[2 * kind + 1]
        for (let k = 0; k < 3; k++) {
          const j = base + 3 * a + k
          let predicted: number
          if (f === 0) predicted = lastLattice >= 0 ? q[base + 3 * lastLattice + k] : 0
          else {
            const x1 = q[j - stride]
            if (f === 1 || (c1 === 0 && c2 === 0)) predicted = x1
            else {
              const d1 = (x1 - q[j - 2 * stride]) | 0
              const d2 = f >= 3 ? (q[j - 2 * stride] - q[j - 3 * stride]) | 0 : 0
              predicted = (x1 + Math.floor((c1 * d1 + c2 * d2 + 128) * LPC_INVERSE)) | 0
            }
          }
          residuals[at++] = (q[j] - predicted) | 0
          if (hasTriplets) current[3 * a + k] = q[j] * precision
        }
        lastLattice = a
      } else if (kind === ATOM_TRIPLET_SECOND) {
        const h = a - 1
        const d01 = geometries[3 * plan.geometryOf[h]]
        const ox = current[3 * h]; const oy = current[3 * h + 1]; const oz = current[3 * h + 2]
        if (f === 0) basisAlong(1, 0, 0, basis)
        else basisAlong(previous[3 * a] - previous[3 * h], previous[3 * a + 1] - previous[3 * h + 1], previous[3 * a + 2] - previous[3 * h + 2], basis)
        const step = stepForBasis(basis, precision)
        const inverseStep = 1 / step
        const vx = coords[base + 3 * a] - ox; const vy = coords[base + 3 * a + 1] - oy; const vz = coords[base + 3 * a + 2] - oz
        const q2 = Math.floor((vx * basis[3] + vy * basis[4] + vz * basis[5]) * inverseStep + 0.5)
        const q3 = Math.floor((vx * basis[6] + vy * basis[7] + vz * basis[8]) * inverseStep + 0.5)
        const t2 = q2 * step; const t3 = q3 * step
        const radial = remainingComponent(d01, t2, t3)
        const c1 = vx * basis[0] + vy * basis[1] + vz * basis[2]
        const sign = c1 < 0 ? 1 : 0
        const predicted = sign === 1 ? -radial : radial
        const q1 = Math.floor((c1 - predicted) * inverseStep + 0.5)
        const r1 = predicted + q1 * step
        residuals[at++] = q2; residuals[at++] = q3; residuals[at++] = sign; residuals[at++] = q1
        current[3 * a] = ox + r1 * basis[0] + t2 * basis[3] + t3 * basis[6]
        current[3 * a + 1] = oy + r1 * basis[1] + t2 * basis[4] + t3 * basis[7]
        current[3 * a + 2] = oz + r1 * basis[2] + t2 * basis[5] + t3 * basis[8]
      } else {
        const h = a - 2
        const g = plan.geometryOf[h]
        const along = circles[2 * g]
        const rho = circles[2 * g + 1]
        const ox = current[3 * h]; const oy = current[3 * h + 1]; const oz = current[3 * h + 2]
        const ax = current[3 * h + 3] - ox; const ay = current[3 * h + 4] - oy; const az = current[3 * h + 5] - oz
        if (f === 0) basisWithPlane(ax, ay, az, 0, 0, 1, basis)
        else basisWithPlane(ax, ay, az, previous[3 * a] - previous[3 * h], previous[3 * a + 1] - previous[3 * h + 1], previous[3 * a + 2] - previous[3 * h + 2], basis)
        const step = stepForBasis(basis, precision)
        const inverseStep = 1 / step
        const vx = coords[base + 3 * a] - ox; const vy = coords[base + 3 * a + 1] - oy; const vz = coords[base + 3 * a + 2] - oz
        const q3 = Math.floor((vx * basis[6] + vy * basis[7] + vz * basis[8]) * inverseStep + 0.5)
        const t3 = q3 * step
        const inPlane = remainingComponent(rho, t3, 0)
        const c2 = vx * basis[3] + vy * basis[4] + vz * basis[5]
        const sign = c2 < 0 ? 1 : 0
        const predicted = sign === 1 ? -inPlane : inPlane
        const q2 = Math.floor((c2 - predicted) * inverseStep + 0.5)
        const r2 = predicted + q2 * step
        const c1 = vx * basis[0] + vy * basis[1] + vz * basis[2]
        const q1 = Math.floor((c1 - along) * inverseStep + 0.5)
        const r1 = along + q1 * step
        residuals[at++] = q3; residuals[at++] = sign; residuals[at++] = q1; residuals[at++] = q2
        current[3 * a] = ox + r1 * basis[0] + r2 * basis[3] + t3 * basis[6]
        current[3 * a + 1] = oy + r1 * basis[1] + r2 * basis[4] + t3 * basis[7]
        current[3 * a + 2] = oz + r1 * basis[2] + r2 * basis[5] + t3 * basis[8]
      }
    }
    const swap = previous; previous = current; current = swap
  }
  return residuals
}

/** Encodes the coordinates of a block into a self-contained section. */
export function encodeCoordinates (block: CoordinateBlock): Uint8Array {
  const { coords, atomCount, frameCount, lossless } = block
  const q = quantize(block)
  const plan: TripletPlan = lossless || atomCount < 3 ? emptyPlan(atomCount) : planRigidTriplets(coords, atomCount, frameCount, block.precisionNm)
  const coefficients: Coefficients = new Int16Array(4)
  fitCoefficients(q, plan.kinds, atomCount, frameCount, coefficients)
  const intraTemplate = contextTemplate(plan.kinds, true)
  const interTemplate = contextTemplate(plan.kinds, false)
  const perFrame = intraTemplate.length
  const residuals = computeResiduals(block, q, plan, coefficients, perFrame)

  // Pass 2, one loop: tokens, histograms and the raw low bits (LSB-first, inline writer).
  const total = residuals.length
  const tokens = scratchUint8(total)
  const counts = new Uint32Array(CONTEXT_COUNT * TOKEN_ALPHABET)
  const rawOut = scratchRawBytes(4 * total + 16)
  let rawAt = 0
  let acc = 0
  let accBits = 0
  for (let f = 0, i = 0; f < frameCount; f++) {
    const template = f === 0 ? intraTemplate : interTemplate
    for (let s = 0; s < perFrame; s++, i++) {
      const r = residuals[i]
      const v = ((r << 1) ^ (r >> 31)) >>> 0
      let token = v
      if (v >= 16) {
        const top = 31 - Math.clz32(v)
        token = 16 + 2 * (top - 4) + ((v >>> (top - 1)) & 1)
        // Low top − 1 bits travel raw, at most 16 at a time.
        let bits = top - 1
        let low = v & ((1 << (top - 1)) - 1)
        while (bits > 0) {
          const take = bits > 16 ? 16 : bits
          acc |= (low & ((1 << take) - 1)) << accBits
          accBits += take
          low >>>= take
          bits -= take
          while (accBits >= 8) { rawOut[rawAt++] = acc & 0xff; acc >>>= 8; accBits -= 8 }
        }
      }
      tokens[i] = token
      counts[template[s] * TOKEN_ALPHABET + token]++
    }
  }
  if (accBits > 0) rawOut[rawAt++] = acc & 0xff
  normalizeFrequencies(counts, CONTEXT_COUNT)
  const ransBytes = ransEncode(tokens, intraTemplate, interTemplate, frameCount, counts, CONTEXT_COUNT)
  const rawBytes = rawOut.subarray(0, rawAt)
  const hasTriplets = plan.tripletCount > 0
  const codedBytes = 1 + 8 + (hasTriplets ? tripletPlanMaxBytes(plan) : 0) + frequencyTablesMaxBytes(CONTEXT_COUNT) + 8 + ransBytes.length + rawBytes.length
  if (codedBytes > 1 + 4 * coords.length) return rawSection(coords)
  const writer = new ByteWriter(1 + 8 + (hasTriplets ? tripletPlanMaxBytes(plan) : 0) + frequencyTablesMaxBytes(CONTEXT_COUNT) + 8 + ransBytes.length + rawBytes.length)
  writer.u8(hasTriplets ? SECTION_FLAG_TRIPLETS : 0)
  for (let i = 0; i < 4; i++) writer.i16(coefficients[i])
  if (hasTriplets) writeTripletPlan(writer, plan)
  writeFrequencyTables(writer, counts, CONTEXT_COUNT)
  writer.u32(ransBytes.length)
  writer.raw(ransBytes)
  writer.u32(rawBytes.length)
  writer.raw(rawBytes)
  return writer.bytes.subarray(0, writer.offset)
}

/** A section holding the coordinates as plain little-endian float32 (exact): the bound on any chunk's size. */
function rawSection (coords: Float32Array): Uint8Array {
  const out = new Uint8Array(1 + 4 * coords.length)
  out[0] = SECTION_FLAG_RAW
  const view = new DataView(out.buffer)
  for (let i = 0; i < coords.length; i++) view.setFloat32(1 + 4 * i, coords[i], true)
  return out
}

const RANS_LOW = 1 << 23
const PROB_MASK = PROB_SCALE - 1

/**
 * Pass 1 of the decoder: all residuals, in one tight loop (rANS state and
 * raw-bit reader in local variables).
 */
function decodeResiduals (bytes: Uint8Array, ransStart: number, ransEnd: number, rawStart: number, rawEnd: number,
  lookup: Uint32Array, intraTemplate: Uint8Array, interTemplate: Uint8Array, frameCount: number): Int32Array {
  const perFrame = intraTemplate.length
  const residuals = scratchInt32(1, frameCount * perFrame)
  if (ransEnd - ransStart < 4) throw new ChunkCorruptedError('The trajectory chunk\'s entropy-coded section is too short.')
  let x = (bytes[ransStart] | (bytes[ransStart + 1] << 8) | (bytes[ransStart + 2] << 16) | (bytes[ransStart + 3] << 24)) >>> 0
  let ransAt = ransStart + 4
  let rawAt = rawStart
  let acc = 0
  let accBits = 0
  let overrun = false
  let i = 0
  for (let f = 0; f < frameCount; f++) {
    const template = f === 0 ? intraTemplate : interTemplate
    for (let s = 0; s < perFrame; s++) {
      const slot = x & PROB_MASK
      const entry = lookup[(template[s] << PROB_BITS) | slot]
      x = ((entry >>> 7) & 0x1fff) * (x >>> PROB_BITS) + slot - (entry >>> 20)
      while (x < RANS_LOW) {
        if (ransAt < ransEnd) x = (x << 8) | bytes[ransAt++]
        else { overrun = true; x = RANS_LOW }
      }
      const token = entry & 0x7f
      let v = token
      if (token >= 16) {
        let need = TOKEN_EXTRA_BITS[token]
        let low = 0
        let scale = 1
        while (need > 0) {
          const take = need > 16 ? 16 : need
          while (accBits < take) {
            if (rawAt < rawEnd) acc |= bytes[rawAt++] << accBits
            else overrun = true
            accBits += 8
          }
          low += (acc & ((1 << take) - 1)) * scale
          acc >>>= take
          accBits -= take
          scale *= 1 << take
          need -= take
        }
        v = TOKEN_BASES[token] + low
      }
      residuals[i++] = (v >>> 1) ^ -(v & 1)
    }
  }
  if (overrun || ransAt !== ransEnd || x !== RANS_LOW || rawAt !== rawEnd) {
    throw new ChunkCorruptedError('The trajectory chunk\'s coordinate data does not decode to its announced size (corrupted).')
  }
  return residuals
}

/**
 * Decodes a coordinate section (reader positioned at its start, bounded by
 * reader.end) into `out` (frameCount × atomCount × 3 float32, nm).
 * Throws ChunkCorruptedError.
 */
export function decodeCoordinates (reader: ByteReader, atomCount: number, frameCount: number, precisionNm: number, lossless: boolean, out: Float32Array): void {
  const stride = 3 * atomCount
  const sectionFlags = reader.u8()
  if (sectionFlags === SECTION_FLAG_RAW) {
    const bytes = reader.take(4 * out.length)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    for (let i = 0; i < out.length; i++) {
      const x = view.getFloat32(4 * i, true)
      if (!Number.isFinite(x)) throw new ChunkCorruptedError('The trajectory chunk holds a non-finite coordinate.')
      out[i] = x
    }
    return
  }
  if ((sectionFlags & ~SECTION_FLAG_TRIPLETS) !== 0) throw new ChunkCorruptedError(`The trajectory chunk's coordinate section has unknown flags ${sectionFlags}.`)
  const coefficients = new Int16Array(4)
  for (let i = 0; i < 4; i++) coefficients[i] = reader.i16()
  const hasTriplets = (sectionFlags & SECTION_FLAG_TRIPLETS) !== 0
  if (hasTriplets && lossless) throw new ChunkCorruptedError('A lossless trajectory chunk cannot hold rigid-molecule coding.')
  const plan = hasTriplets ? readTripletPlan(reader, atomCount) : emptyPlan(atomCount)
  const lookup = readFrequencyTables(reader, CONTEXT_COUNT)
  const ransLength = reader.u32()
  const ransStart = reader.offset
  reader.take(ransLength)
  const rawLength = reader.u32()
  const rawStart = reader.offset
  reader.take(rawLength)
  const kinds = plan.kinds
  const residuals = decodeResiduals(reader.bytes, ransStart, ransStart + ransLength, rawStart, rawStart + rawLength,
    lookup, contextTemplate(kinds, true), contextTemplate(kinds, false), frameCount)

  const q = scratchInt32(0, frameCount * stride)
  const outBits = new Int32Array(out.buffer, out.byteOffset, out.length)
  const precision = precisionNm
  let previous = new Float64Array(hasTriplets ? stride : 0)
  let current = new Float64Array(hasTriplets ? stride : 0)
  const basis = new Float64Array(9)
  const geometries = plan.geometries
  const circles = thirdAtomCircles(geometries)
  let at = 0
  for (let f = 0; f < frameCount; f++) {
    const base = f * stride
    let lastLattice = -1
    for (let a = 0; a < atomCount; a++) {
      const kind = kinds[a]
      if (kind <= ATOM_TRIPLET_HEAD) {
        const c1 = coefficients[2 * kind]
        const c2 = coefficients[2 * kind + 1]
        for (let k = 0; k < 3; k++) {
          const j = base + 3 * a + k
          let predicted: number
          if (f === 0) predicted = lastLattice >= 0 ? q[base + 3 * lastLattice + k] : 0
          else {
            const x1 = q[j - stride]
            if (f === 1 || (c1 === 0 && c2 === 0)) predicted = x1
            else {
              const d1 = (x1 - q[j - 2 * stride]) | 0
              const d2 = f >= 3 ? (q[j - 2 * stride] - q[j - 3 * stride]) | 0 : 0
              predicted = (x1 + Math.floor((c1 * d1 + c2 * d2 + 128) * LPC_INVERSE)) | 0
            }
          }
          const value = (predicted + residuals[at++]) | 0
          q[j] = value
          if (lossless) outBits[j] = value ^ ((value >> 31) & 0x7fffffff)
          else {
            const x = value * precisionNm
            out[j] = x
            if (hasTriplets) current[3 * a + k] = x
          }
        }
        lastLattice = a
      } else if (kind === ATOM_TRIPLET_SECOND) {
        const h = a - 1
        const d01 = geometries[3 * plan.geometryOf[h]]
        const ox = current[3 * h]; const oy = current[3 * h + 1]; const oz = current[3 * h + 2]
        if (f === 0) basisAlong(1, 0, 0, basis)
        else basisAlong(previous[3 * a] - previous[3 * h], previous[3 * a + 1] - previous[3 * h + 1], previous[3 * a + 2] - previous[3 * h + 2], basis)
        const step = stepForBasis(basis, precision)
        const q2 = residuals[at++]; const q3 = residuals[at++]; const sign = residuals[at++]; const q1 = residuals[at++]
        if (sign !== 0 && sign !== 1) throw new ChunkCorruptedError('The trajectory chunk\'s rigid-molecule data is corrupted.')
        const t2 = q2 * step; const t3 = q3 * step
        const radial = remainingComponent(d01, t2, t3)
        const r1 = (sign === 1 ? -radial : radial) + q1 * step
        const x = ox + r1 * basis[0] + t2 * basis[3] + t3 * basis[6]
        const y = oy + r1 * basis[1] + t2 * basis[4] + t3 * basis[7]
        const z = oz + r1 * basis[2] + t2 * basis[5] + t3 * basis[8]
        current[3 * a] = x; current[3 * a + 1] = y; current[3 * a + 2] = z
        out[base + 3 * a] = x; out[base + 3 * a + 1] = y; out[base + 3 * a + 2] = z
      } else {
        const h = a - 2
        const g = plan.geometryOf[h]
        const along = circles[2 * g]
        const rho = circles[2 * g + 1]
        const ox = current[3 * h]; const oy = current[3 * h + 1]; const oz = current[3 * h + 2]
        const ax = current[3 * h + 3] - ox; const ay = current[3 * h + 4] - oy; const az = current[3 * h + 5] - oz
        if (f === 0) basisWithPlane(ax, ay, az, 0, 0, 1, basis)
        else basisWithPlane(ax, ay, az, previous[3 * a] - previous[3 * h], previous[3 * a + 1] - previous[3 * h + 1], previous[3 * a + 2] - previous[3 * h + 2], basis)
        const step = stepForBasis(basis, precision)
        const q3 = residuals[at++]; const sign = residuals[at++]; const q1 = residuals[at++]; const q2 = residuals[at++]
        if (sign !== 0 && sign !== 1) throw new ChunkCorruptedError('The trajectory chunk\'s rigid-molecule data is corrupted.')
        const t3 = q3 * step
        const inPlane = remainingComponent(rho, t3, 0)
        const r2 = (sign === 1 ? -inPlane : inPlane) + q2 * step
        const r1 = along + q1 * step
        const x = ox + r1 * basis[0] + r2 * basis[3] + t3 * basis[6]
        const y = oy + r1 * basis[1] + r2 * basis[4] + t3 * basis[7]
        const z = oz + r1 * basis[2] + r2 * basis[5] + t3 * basis[8]
        current[3 * a] = x; current[3 * a + 1] = y; current[3 * a + 2] = z
        out[base + 3 * a] = x; out[base + 3 * a + 1] = y; out[base + 3 * a + 2] = z
      }
    }
    const swap = previous; previous = current; current = swap
  }
}
