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
 * Every atom gives three residuals per frame (a triplet's second and third
 * atoms fold their sign bit into one residual; triplet-frames.ts). Residuals
 * become tokens coded with static two-state rANS, one table per context; the
 * low bits of large residuals travel raw (residual-stream.ts). Encoder and
 * decoder both work frame by frame (residuals of one frame in a small
 * scratch array that stays in cache); the decoder keeps only the last four
 * frames of lattice values.
 *
 * Section layout: u8 flags (bit 0: rigid triplets) | 2 × (i16 c1, i16 c2) |
 * [triplet plan] | frequency tables | u32 rANS bytes | rANS | u32 raw bytes | raw;
 * or, when coding would not be smaller (noise-like input), u8 flags = 2 then
 * the coordinates as plain float32 — so no chunk is much larger than raw.
 */
import { ByteReader, ByteWriter } from './byte-io.ts'
import { ChunkCorruptedError, CoordinateRangeError, InvalidFramesError } from './errors.ts'
import { frequencyTablesMaxBytes, normalizeFrequencies, ransEncode, readFrequencyTables, writeFrequencyTables } from './rans.ts'
import { TOKEN_ALPHABET as IMPORTED_TOKEN_ALPHABET } from './tokens.ts'
import { scratchFloat64, scratchInt32, scratchUint8 } from './scratch.ts'
import { fitCoefficients, lpcCorrection as importedLpcCorrection } from './predictor-fit.ts'
import { ResidualReader, ResidualTokenizer } from './residual-stream.ts'
import * as rigid from './rigid-triplets.ts'
import type { TripletPlan } from './rigid-triplets.ts'
import * as tripletFrames from './triplet-frames.ts'
import type { TripletRuns } from './triplet-frames.ts'

// Module-level copies of imported bindings: hot loops then read plain
// constants and local functions instead of module namespace properties.
const TOKEN_ALPHABET = IMPORTED_TOKEN_ALPHABET
const lpcCorrection = importedLpcCorrection
const remainingComponent = rigid.remainingComponent
const BASIS_LENGTH = rigid.BASIS_LENGTH
const emptyPlan = rigid.emptyPlan
const planRigidTriplets = rigid.planRigidTriplets
const readTripletPlan = rigid.readTripletPlan
const writeTripletPlan = rigid.writeTripletPlan
const tripletPlanMaxBytes = rigid.tripletPlanMaxBytes
const tripletRuns = tripletFrames.tripletRuns
const codeTriplets = tripletFrames.codeTriplets
const placeTriplets = tripletFrames.placeTriplets

// Atom kinds (as in rigid-triplets.ts; local so hot loops read constants, not module bindings).
const ATOM_LATTICE = 0
const ATOM_TRIPLET_HEAD = 1
const ATOM_TRIPLET_SECOND = 2
const CTX_INTRA = 0
const CTX_INTER_OTHER = 1
const CTX_INTER_HEAD = 2
const CTX_SECOND_TANGENT = 3
const CTX_SECOND_TANGENT_INTRA = 4
/** The third atom's in-plane residual p2 with its sign folded in (see triplet-frames.ts). */
const CTX_THIRD_FOLDED = 5
const CTX_SECOND_RADIAL = 6
const CTX_THIRD_TANGENT = 7
const CTX_THIRD_TANGENT_INTRA = 8
const CTX_THIRD_RESIDUAL = 9
export const CONTEXT_COUNT = 10

const SECTION_FLAG_TRIPLETS = 1
/** The coordinates are stored as plain float32 (when coding would not make them smaller). */
const SECTION_FLAG_RAW = 2
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

/**
 * Lattice values of the coordinates (a scratch array) of every atom that
 * sits on the lattice (kind ATOM_LATTICE or ATOM_TRIPLET_HEAD; the others'
 * values are left undefined: they are coded from their head and a rigid
 * triplet's members passed the rigidity checks, so they are finite).
 * Throws CoordinateRangeError, InvalidFramesError.
 */
function quantize (block: CoordinateBlock, kinds: Uint8Array): Int32Array {
  const { coords, lossless, precisionNm } = block
  const q = scratchInt32('encode-lattice', coords.length)
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
  const spans = latticeSpans(kinds)
  const stride = 3 * block.atomCount
  for (let base = 0; base < q.length; base += stride) {
    for (let k = 0; k < spans.length; k += 2) {
      for (let i = base + spans[k], end = base + spans[k + 1]; i < end; i++) {
        // floor(x/P + 1/2) via the reciprocal: much faster than Math.round(x / P) in V8, and the
        // last-bit differences at exact halves stay within the bound (tests allow 1e-9 relative).
        const r = Math.floor(coords[i] * inverse + 0.5)
        if (!(r <= MAX_LATTICE && r >= -MAX_LATTICE)) {
          if (!Number.isFinite(coords[i])) throw new InvalidFramesError(`Frame ${Math.floor(i / stride)} has a non-finite coordinate for atom ${Math.floor(i / 3) % block.atomCount}.`)
          throw new CoordinateRangeError(coords[i], precisionNm)
        }
        q[i] = r
      }
    }
  }
  return q
}

/** [start, end) value ranges (3 per atom) of the atoms on the lattice, as pairs. */
function latticeSpans (kinds: Uint8Array): Int32Array {
  const spans: number[] = []
  for (let a = 0; a < kinds.length; a++) {
    if (kinds[a] > ATOM_TRIPLET_HEAD) continue
    if (spans.length > 0 && spans[spans.length - 1] === 3 * a) spans[spans.length - 1] += 3
    else spans.push(3 * a, 3 * a + 3)
  }
  return Int32Array.from(spans)
}

/**
 * The context of every symbol of a frame, which depends only on the atom
 * kinds (never on decoded values), so symbols can be entropy-decoded in one
 * tight pass before positions are rebuilt.
 */
function contextTemplate (kinds: Uint8Array, intra: boolean): Uint8Array {
  // Three symbols per atom: lattice atoms and heads x, y, z; second atoms (q2, q3, q1 with
  // the sign folded in); third atoms (p3, p1, p2 with the sign folded in).
  const template = new Uint8Array(3 * kinds.length)
  let at = 0
  for (let a = 0; a < kinds.length; a++) {
    const kind = kinds[a]
    if (kind <= ATOM_TRIPLET_HEAD) {
      const context = intra ? CTX_INTRA : (kind === ATOM_LATTICE ? CTX_INTER_OTHER : CTX_INTER_HEAD)
      template[at++] = context; template[at++] = context; template[at++] = context
    } else if (kind === ATOM_TRIPLET_SECOND) {
      const tangent = intra ? CTX_SECOND_TANGENT_INTRA : CTX_SECOND_TANGENT
      template[at++] = tangent; template[at++] = tangent; template[at++] = CTX_SECOND_RADIAL
    } else {
      template[at++] = intra ? CTX_THIRD_TANGENT_INTRA : CTX_THIRD_TANGENT
      template[at++] = CTX_THIRD_RESIDUAL; template[at++] = CTX_THIRD_FOLDED
    }
  }
  return template
}

/**
 * Per geometry: d01 (nm), where the third atom's circle lies along the
 * first→second axis (d01² + d02² − d12²)/(2 d01), nm, and its radius, nm.
 */
function tripletCircles (geometries: Float64Array): Float64Array {
  const count = geometries.length / 3
  const circles = new Float64Array(3 * count)
  for (let g = 0; g < count; g++) {
    const d01 = geometries[3 * g]; const d02 = geometries[3 * g + 1]; const d12 = geometries[3 * g + 2]
    const along = (d01 * d01 + d02 * d02 - d12 * d12) / (2 * d01)
    circles[3 * g] = d01
    circles[3 * g + 1] = along
    circles[3 * g + 2] = remainingComponent(d02, along, 0)
  }
  return circles
}

/**
 * Encoder, one frame: residuals of all its symbols in template order into
 * `out`. Rigid triplets are rebuilt exactly as the decoder will; `relative`
 * holds, per second and third triplet atom, its offset from the head (nm)
 * in the previous frame, and is updated to this frame's.
 */
function frameResiduals (f: number, coords: Float32Array, q: Int32Array, atomCount: number, precisionBox: Float64Array, kinds: Uint8Array,
  runs: TripletRuns, circles: Float64Array, coefficients: Coefficients, relative: Float64Array, basis: Float64Array, out: Int32Array): void {
  const stride = 3 * atomCount
  const base = f * stride
  const otherC1 = coefficients[0]; const otherC2 = coefficients[1]
  const headC1 = coefficients[2]; const headC2 = coefficients[3]
  const otherDelta = f === 1 || (otherC1 === 0 && otherC2 === 0)
  const headDelta = f === 1 || (headC1 === 0 && headC2 === 0)
  let at = 0
  let lastLattice = -1
  for (let a = 0; a < atomCount; a++) {
    const kind = kinds[a]
    const j = base + 3 * a
    if (f === 0) {
      if (lastLattice >= 0) {
        const p = base + 3 * lastLattice
        out[at] = (q[j] - q[p]) | 0; out[at + 1] = (q[j + 1] - q[p + 1]) | 0; out[at + 2] = (q[j + 2] - q[p + 2]) | 0
      } else { out[at] = q[j]; out[at + 1] = q[j + 1]; out[at + 2] = q[j + 2] }
      lastLattice = a
    } else {
      // Per-class coefficients and mode from locals (kind is 0 or 1 here).
      const head = kind === ATOM_TRIPLET_HEAD
      const c1 = head ? headC1 : otherC1
      const c2 = head ? headC2 : otherC2
      if (head ? headDelta : otherDelta) {
        out[at] = (q[j] - q[j - stride]) | 0; out[at + 1] = (q[j + 1] - q[j + 1 - stride]) | 0; out[at + 2] = (q[j + 2] - q[j + 2 - stride]) | 0
      } else {
        for (let k = 0; k < 3; k++) {
          const i = j + k
          const x1 = q[i - stride]
          const d1 = (x1 - q[i - 2 * stride]) | 0
          const d2 = f >= 3 ? (q[i - 2 * stride] - q[i - 3 * stride]) | 0 : 0
          out[at + k] = (q[i] - ((x1 + lpcCorrection(c1, d1, c2, d2)) | 0)) | 0
        }
      }
    }
    at += 3
    if (kind === ATOM_TRIPLET_HEAD) { at += 6; a += 2 }
  }
  // The triplets' second and third atoms, in local frames of the head (triplet-frames.ts).
  if (runs.count > 0) codeTriplets(runs, f, coords, q, base, precisionBox, circles, relative, out, basis)
}

/** Encodes the coordinates of a block into a self-contained section (a scratch view, valid until the next call: copy what you keep). */
export function encodeCoordinates (block: CoordinateBlock): Uint8Array {
  const { coords, atomCount, frameCount, lossless } = block
  const precision = block.precisionNm
  const plan: TripletPlan = lossless || atomCount < 3 ? emptyPlan(atomCount) : planRigidTriplets(coords, atomCount, frameCount, precision)
  const q = quantize(block, plan.kinds)
  const coefficients: Coefficients = new Int16Array(4)
  fitCoefficients(q, plan.kinds, atomCount, frameCount, coefficients)
  const intraTemplate = contextTemplate(plan.kinds, true)
  const interTemplate = contextTemplate(plan.kinds, false)
  const perFrame = intraTemplate.length
  const total = frameCount * perFrame
  const tokenizer = new ResidualTokenizer(scratchUint8('encode-tokens', total), new Uint32Array(CONTEXT_COUNT * TOKEN_ALPHABET), scratchUint8('encode-raw', 4 * total + 8))
  const residuals = scratchInt32('frame-residuals', perFrame)
  const relative = scratchFloat64('triplet-relative', 3 * atomCount)
  const basis = new Float64Array(BASIS_LENGTH)
  const circles = tripletCircles(plan.geometries)
  const runs = tripletRuns(plan.kinds, plan.geometryOf)
  const precisionBox = Float64Array.of(precision)
  for (let f = 0; f < frameCount; f++) {
    frameResiduals(f, coords, q, atomCount, precisionBox, plan.kinds, runs, circles, coefficients, relative, basis, residuals)
    tokenizer.addFrame(residuals, f === 0 ? intraTemplate : interTemplate)
  }
  const rawBytes = tokenizer.finishRaw()
  const counts = tokenizer.finishCounts()
  normalizeFrequencies(counts, CONTEXT_COUNT)
  const ransBytes = ransEncode(tokenizer.tokens, intraTemplate, interTemplate, frameCount, counts, CONTEXT_COUNT)
  const hasTriplets = plan.tripletCount > 0
  const codedBytes = 1 + 8 + (hasTriplets ? tripletPlanMaxBytes(plan) : 0) + frequencyTablesMaxBytes(CONTEXT_COUNT) + 8 + ransBytes.length + rawBytes.length
  if (codedBytes > 1 + 4 * coords.length) return rawSection(coords)
  // The section goes into scratch memory (the chunk writer copies it): fresh megabytes per chunk cost page faults.
  const writer = new ByteWriter(codedBytes, scratchUint8('encode-section', codedBytes))
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

/**
 * Decoder, one frame: lattice values into the ring `ring` (4 frames of
 * 3 × atomCount values, frame f at slot f & 3) and positions into `out`
 * (this frame's 3 × atomCount float32, nm), from `residuals` in template
 * order. Mirrors frameResiduals operation for operation.
 */
function rebuildFrame (f: number, residuals: Int32Array, ring: Int32Array, atomCount: number, precision: number, lossless: boolean,
  kinds: Uint8Array, runs: TripletRuns, precisionBox: Float64Array, circles: Float64Array, coefficients: Coefficients, relative: Float64Array, basis: Float64Array,
  out: Float32Array, outBits: Int32Array): void {
  const stride = 3 * atomCount
  const now = (f & 3) * stride
  const back1 = ((f - 1) & 3) * stride
  const back2 = ((f - 2) & 3) * stride
  const back3 = ((f - 3) & 3) * stride
  const otherC1 = coefficients[0]; const otherC2 = coefficients[1]
  const headC1 = coefficients[2]; const headC2 = coefficients[3]
  const otherDelta = f === 1 || (otherC1 === 0 && otherC2 === 0)
  const headDelta = f === 1 || (headC1 === 0 && headC2 === 0)
  let at = 0
  let lastLattice = -1
  for (let a = 0; a < atomCount; a++) {
    const kind = kinds[a]
    const o = 3 * a
    const j = now + o
    let x: number, y: number, z: number
    if (f === 0) {
      if (lastLattice >= 0) {
        const p = now + 3 * lastLattice
        x = (ring[p] + residuals[at]) | 0; y = (ring[p + 1] + residuals[at + 1]) | 0; z = (ring[p + 2] + residuals[at + 2]) | 0
      } else { x = residuals[at]; y = residuals[at + 1]; z = residuals[at + 2] }
      lastLattice = a
    } else {
      // Per-class coefficients and mode from locals (kind is 0 or 1 here).
      const head = kind === ATOM_TRIPLET_HEAD
      const c1 = head ? headC1 : otherC1
      const c2 = head ? headC2 : otherC2
      const p1 = back1 + o
      if (head ? headDelta : otherDelta) {
        x = (ring[p1] + residuals[at]) | 0; y = (ring[p1 + 1] + residuals[at + 1]) | 0; z = (ring[p1 + 2] + residuals[at + 2]) | 0
      } else {
        const p2 = back2 + o
        const p3 = back3 + o
        const third = f >= 3
        const xa = ring[p1]; const xb = ring[p2]
        const ya = ring[p1 + 1]; const yb = ring[p2 + 1]
        const za = ring[p1 + 2]; const zb = ring[p2 + 2]
        const dx2 = third ? (xb - ring[p3]) | 0 : 0
        const dy2 = third ? (yb - ring[p3 + 1]) | 0 : 0
        const dz2 = third ? (zb - ring[p3 + 2]) | 0 : 0
        x = (((xa + lpcCorrection(c1, (xa - xb) | 0, c2, dx2)) | 0) + residuals[at]) | 0
        y = (((ya + lpcCorrection(c1, (ya - yb) | 0, c2, dy2)) | 0) + residuals[at + 1]) | 0
        z = (((za + lpcCorrection(c1, (za - zb) | 0, c2, dz2)) | 0) + residuals[at + 2]) | 0
      }
    }
    ring[j] = x; ring[j + 1] = y; ring[j + 2] = z
    at += 3
    if (lossless) {
      outBits[o] = x ^ ((x >> 31) & 0x7fffffff); outBits[o + 1] = y ^ ((y >> 31) & 0x7fffffff); outBits[o + 2] = z ^ ((z >> 31) & 0x7fffffff)
      continue
    }
    out[o] = x * precision; out[o + 1] = y * precision; out[o + 2] = z * precision
    if (kind === ATOM_TRIPLET_HEAD) { at += 6; a += 2 }
  }
  // The triplets' second and third atoms (triplet-frames.ts).
  if (runs.count > 0) placeTriplets(runs, f, residuals, ring, now, precisionBox, circles, relative, out, basis)
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
  const tables = readFrequencyTables(reader, CONTEXT_COUNT)
  const ransLength = reader.u32()
  const ransStart = reader.offset
  reader.take(ransLength)
  const rawLength = reader.u32()
  const rawStart = reader.offset
  reader.take(rawLength)
  const stream = new ResidualReader(reader.bytes, ransStart, ransStart + ransLength, rawStart, rawStart + rawLength, tables)
  const intraTemplate = contextTemplate(plan.kinds, true)
  const interTemplate = contextTemplate(plan.kinds, false)
  const residuals = scratchInt32('frame-residuals', intraTemplate.length)
  const ring = scratchInt32('decode-ring', 4 * stride)
  const relative = scratchFloat64('triplet-relative', stride)
  const basis = new Float64Array(BASIS_LENGTH)
  const circles = tripletCircles(plan.geometries)
  const runs = tripletRuns(plan.kinds, plan.geometryOf)
  const precisionBox = Float64Array.of(precisionNm)
  for (let f = 0; f < frameCount; f++) {
    stream.readFrame(f === 0 ? intraTemplate : interTemplate, residuals)
    const frameOut = out.subarray(f * stride, (f + 1) * stride)
    const frameBits = new Int32Array(frameOut.buffer, frameOut.byteOffset, stride)
    rebuildFrame(f, residuals, ring, atomCount, precisionNm, lossless, plan.kinds, runs, precisionBox, circles, coefficients, relative, basis, frameOut, frameBits)
  }
  stream.finish()
  if (lossless) {
    // Bit patterns come back as they were sent: refuse a forged NaN or infinity here, as the float paths cannot make one.
    const bits = new Int32Array(out.buffer, out.byteOffset, out.length)
    for (let i = 0; i < bits.length; i++) {
      if ((bits[i] & 0x7f800000) === 0x7f800000) throw new ChunkCorruptedError('The trajectory chunk holds a non-finite coordinate.')
    }
  }
}
