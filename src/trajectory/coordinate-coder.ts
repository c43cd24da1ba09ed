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
 * Residuals become tokens coded with static two-state rANS, one table per
 * context; the low bits of large residuals travel raw (residual-stream.ts).
 * Encoder and decoder both work frame by frame (residuals of one frame in
 * a small scratch array that stays in cache); the decoder keeps only the
 * last four frames of lattice values.
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
import { fitCoefficients, LPC_INVERSE as IMPORTED_LPC_INVERSE } from './predictor-fit.ts'
import { ResidualReader, ResidualTokenizer } from './residual-stream.ts'
import * as rigid from './rigid-triplets.ts'
import type { TripletPlan } from './rigid-triplets.ts'

// Module-level copies of imported bindings: hot loops then read plain
// constants and local functions instead of module namespace properties.
const TOKEN_ALPHABET = IMPORTED_TOKEN_ALPHABET
const LPC_INVERSE = IMPORTED_LPC_INVERSE
const basisWithPlane = rigid.basisWithPlane
const remainingComponent = rigid.remainingComponent
const BASIS_LENGTH = rigid.BASIS_LENGTH
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
 * floor((c1 d1 + c2 d2 + 128) / 256), the predictor's correction: in int32
 * arithmetic when the differences are small enough for it to be exact
 * (|d| < 2^20, |c| ≤ 512: always, in practice), else in float64. Both
 * give the same value, so encoder and decoder agree whichever they take.
 */
function lpcCorrection (c1: number, d1: number, c2: number, d2: number): number {
  if ((((d1 + 0x100000) | (d2 + 0x100000)) & ~0x1fffff) === 0) return (c1 * d1 + c2 * d2 + 128) >> 8
  return Math.floor((c1 * d1 + c2 * d2 + 128) * LPC_INVERSE)
}

/** Lattice values of all coordinates (a scratch array). Throws CoordinateRangeError, InvalidFramesError. */
function quantize (block: CoordinateBlock): Int32Array {
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
function frameResiduals (f: number, coords: Float32Array, q: Int32Array, atomCount: number, precision: number, plan: TripletPlan,
  circles: Float64Array, coefficients: Coefficients, relative: Float64Array, basis: Float64Array, out: Int32Array): void {
  const stride = 3 * atomCount
  const base = f * stride
  const kinds = plan.kinds
  const geometryOf = plan.geometryOf
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
      const c1 = coefficients[2 * kind]
      const c2 = coefficients[2 * kind + 1]
      if (f === 1 || (c1 === 0 && c2 === 0)) {
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
    if (kind !== ATOM_TRIPLET_HEAD) continue

    // The triplet's second and third atoms, in local frames of the head.
    const g = 3 * geometryOf[a]
    const o = 3 * a
    const ox = q[j] * precision; const oy = q[j + 1] * precision; const oz = q[j + 2] * precision
    // Second atom: local frame e1 along its previous offset u from the head ((1, 0, 0) in
    // frame 0), e2 along h × u for the coordinate axis h least aligned with u, e3 = e1 × e2.
    // Inlined (calls with double arguments box them); both norms are taken from u so their
    // square roots run in parallel rather than one after the other.
    const r2 = o + 3
    let ux = 1; let uy = 0; let uz = 0
    if (f !== 0) { ux = relative[r2]; uy = relative[r2 + 1]; uz = relative[r2 + 2] }
    let lengthSquared = ux * ux + uy * uy + uz * uz
    if (!(lengthSquared > 1e-24)) { ux = 1; uy = 0; uz = 0; lengthSquared = 1 }
    let wx: number, wy: number, wz: number
    {
      const absX = Math.abs(ux); const absY = Math.abs(uy); const absZ = Math.abs(uz)
      if (absX <= absY && absX <= absZ) { wx = 0; wy = -uz; wz = uy } else if (absY <= absZ) { wx = uz; wy = 0; wz = -ux } else { wx = -uy; wy = ux; wz = 0 }
    }
    const inverseU = 1 / Math.sqrt(lengthSquared)
    const inverseW = 1 / Math.sqrt(wx * wx + wy * wy + wz * wz)
    let e1x = ux * inverseU; let e1y = uy * inverseU; let e1z = uz * inverseU
    let e2x = wx * inverseW; let e2y = wy * inverseW; let e2z = wz * inverseW
    let e3x = e1y * e2z - e1z * e2y; let e3y = e1z * e2x - e1x * e2z; let e3z = e1x * e2y - e1y * e2x
    let step = 0
    {
      const sx = Math.abs(e1x) + Math.abs(e2x) + Math.abs(e3x)
      const sy = Math.abs(e1y) + Math.abs(e2y) + Math.abs(e3y)
      const sz = Math.abs(e1z) + Math.abs(e2z) + Math.abs(e3z)
      let largest = sx > sy ? sx : sy
      if (sz > largest) largest = sz
      step = precision / largest
    }
    const inverseStep = 1 / step
    const vx = coords[j + 3] - ox; const vy = coords[j + 4] - oy; const vz = coords[j + 5] - oz
    const q2 = Math.floor((vx * e2x + vy * e2y + vz * e2z) * inverseStep + 0.5)
    const q3 = Math.floor((vx * e3x + vy * e3y + vz * e3z) * inverseStep + 0.5)
    const c1 = vx * e1x + vy * e1y + vz * e1z
    const sign = c1 < 0 ? 1 : 0
    let q1: number
    {
      const t2 = q2 * step; const t3 = q3 * step
      const d01 = circles[g]
      const radialSquared = d01 * d01 - t2 * t2 - t3 * t3
      const radial = radialSquared > 0 ? Math.sqrt(radialSquared) : 0
      q1 = Math.floor((c1 - (1 - 2 * sign) * radial) * inverseStep + 0.5)
    }
    const t2 = q2 * step; const t3 = q3 * step
    const d01 = circles[g]
    const radialSquared = d01 * d01 - t2 * t2 - t3 * t3
    const radial = radialSquared > 0 ? Math.sqrt(radialSquared) : 0
    const s1 = (1 - 2 * sign) * radial + q1 * step
    const ax = s1 * e1x + t2 * e2x + t3 * e3x
    const ay = s1 * e1y + t2 * e2y + t3 * e3y
    const az = s1 * e1z + t2 * e2z + t3 * e3z
    relative[r2] = ax; relative[r2 + 1] = ay; relative[r2 + 2] = az
    out[at] = q2; out[at + 1] = q3; out[at + 2] = sign; out[at + 3] = q1
    // Third atom: e1 along the second atom's offset a, e2 along the part of the third's
    // previous offset p ((0, 0, 1) in frame 0) perpendicular to a, e3 = e1 × e2; the
    // perpendicular part p − (p·a / a·a) a needs no square root, so both run in parallel.
    const r3 = r2 + 3
    let px = 0; let py = 0; let pz = 1
    if (f !== 0) { px = relative[r3]; py = relative[r3 + 1]; pz = relative[r3 + 2] }
    const axisSquared = ax * ax + ay * ay + az * az
    const k = (px * ax + py * ay + pz * az) / axisSquared
    wx = px - k * ax; wy = py - k * ay; wz = pz - k * az
    const perpendicularSquared = wx * wx + wy * wy + wz * wz
    if (axisSquared > 1e-24 && perpendicularSquared > 1e-18 * (px * px + py * py + pz * pz)) {
      const inverseA = 1 / Math.sqrt(axisSquared)
      const inverseP = 1 / Math.sqrt(perpendicularSquared)
      e1x = ax * inverseA; e1y = ay * inverseA; e1z = az * inverseA
      e2x = wx * inverseP; e2y = wy * inverseP; e2z = wz * inverseP
      e3x = e1y * e2z - e1z * e2y; e3y = e1z * e2x - e1x * e2z; e3z = e1x * e2y - e1y * e2x
      {
        const sx = Math.abs(e1x) + Math.abs(e2x) + Math.abs(e3x)
        const sy = Math.abs(e1y) + Math.abs(e2y) + Math.abs(e3y)
        const sz = Math.abs(e1z) + Math.abs(e2z) + Math.abs(e3z)
        let largest = sx > sy ? sx : sy
        if (sz > largest) largest = sz
        step = precision / largest
      }
    } else {
      // Rare (degenerate geometry): the shared function's fallbacks, identical in encoder and decoder.
      basisWithPlane(ax, ay, az, px, py, pz, precision, basis)
      e1x = basis[0]; e1y = basis[1]; e1z = basis[2]; e2x = basis[3]; e2y = basis[4]; e2z = basis[5]
      e3x = basis[6]; e3y = basis[7]; e3z = basis[8]; step = basis[9]
    }
    const inverseStep3 = 1 / step
    const vx3 = coords[j + 6] - ox; const vy3 = coords[j + 7] - oy; const vz3 = coords[j + 8] - oz
    const p3 = Math.floor((vx3 * e3x + vy3 * e3y + vz3 * e3z) * inverseStep3 + 0.5)
    const c2 = vx3 * e2x + vy3 * e2y + vz3 * e2z
    const sign3 = c2 < 0 ? 1 : 0
    let p2: number
    {
      const u3 = p3 * step
      const rho = circles[g + 2]
      const inPlaneSquared = rho * rho - u3 * u3
      const inPlane = inPlaneSquared > 0 ? Math.sqrt(inPlaneSquared) : 0
      p2 = Math.floor((c2 - (1 - 2 * sign3) * inPlane) * inverseStep3 + 0.5)
    }
    const p1 = Math.floor((vx3 * e1x + vy3 * e1y + vz3 * e1z - circles[g + 1]) * inverseStep3 + 0.5)
    const u3 = p3 * step
    const rho = circles[g + 2]
    const inPlaneSquared = rho * rho - u3 * u3
    const inPlane = inPlaneSquared > 0 ? Math.sqrt(inPlaneSquared) : 0
    const u2 = (1 - 2 * sign3) * inPlane + p2 * step
    const u1 = circles[g + 1] + p1 * step
    const bx = u1 * e1x + u2 * e2x + u3 * e3x
    const by = u1 * e1y + u2 * e2y + u3 * e3y
    const bz = u1 * e1z + u2 * e2z + u3 * e3z
    relative[r3] = bx; relative[r3 + 1] = by; relative[r3 + 2] = bz
    out[at + 4] = p3; out[at + 5] = sign3; out[at + 6] = p1; out[at + 7] = p2
    at += 8
    a += 2
  }
}

/** Encodes the coordinates of a block into a self-contained section. */
export function encodeCoordinates (block: CoordinateBlock): Uint8Array {
  const { coords, atomCount, frameCount, lossless } = block
  const precision = block.precisionNm
  const q = quantize(block)
  const plan: TripletPlan = lossless || atomCount < 3 ? emptyPlan(atomCount) : planRigidTriplets(coords, atomCount, frameCount, precision)
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
  for (let f = 0; f < frameCount; f++) {
    frameResiduals(f, coords, q, atomCount, precision, plan, circles, coefficients, relative, basis, residuals)
    tokenizer.addFrame(residuals, f === 0 ? intraTemplate : interTemplate)
  }
  const rawBytes = tokenizer.finishRaw()
  const counts = tokenizer.finishCounts()
  normalizeFrequencies(counts, CONTEXT_COUNT)
  const ransBytes = ransEncode(tokenizer.tokens, intraTemplate, interTemplate, frameCount, counts, CONTEXT_COUNT)
  const hasTriplets = plan.tripletCount > 0
  const codedBytes = 1 + 8 + (hasTriplets ? tripletPlanMaxBytes(plan) : 0) + frequencyTablesMaxBytes(CONTEXT_COUNT) + 8 + ransBytes.length + rawBytes.length
  if (codedBytes > 1 + 4 * coords.length) return rawSection(coords)
  const writer = new ByteWriter(codedBytes)
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
  plan: TripletPlan, circles: Float64Array, coefficients: Coefficients, relative: Float64Array, basis: Float64Array,
  out: Float32Array, outBits: Int32Array): void {
  const stride = 3 * atomCount
  const kinds = plan.kinds
  const geometryOf = plan.geometryOf
  const now = (f & 3) * stride
  const back1 = ((f - 1) & 3) * stride
  const back2 = ((f - 2) & 3) * stride
  const back3 = ((f - 3) & 3) * stride
  let at = 0
  let lastLattice = -1
  // Signs must be 0 or 1: checked once per frame (a corrupted value only makes garbage positions until then).
  let badSigns = 0
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
      const c1 = coefficients[2 * kind]
      const c2 = coefficients[2 * kind + 1]
      const p1 = back1 + o
      if (f === 1 || (c1 === 0 && c2 === 0)) {
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
    const ox = x * precision; const oy = y * precision; const oz = z * precision
    out[o] = ox; out[o + 1] = oy; out[o + 2] = oz
    if (kind !== ATOM_TRIPLET_HEAD) continue

    const g = 3 * geometryOf[a]
    // Second atom: local frame e1 along its previous offset u from the head ((1, 0, 0) in
    // frame 0), e2 along h × u for the coordinate axis h least aligned with u, e3 = e1 × e2.
    // Inlined (calls with double arguments box them); both norms are taken from u so their
    // square roots run in parallel rather than one after the other.
    const r2 = o + 3
    let ux = 1; let uy = 0; let uz = 0
    if (f !== 0) { ux = relative[r2]; uy = relative[r2 + 1]; uz = relative[r2 + 2] }
    let lengthSquared = ux * ux + uy * uy + uz * uz
    if (!(lengthSquared > 1e-24)) { ux = 1; uy = 0; uz = 0; lengthSquared = 1 }
    let wx: number, wy: number, wz: number
    {
      const absX = Math.abs(ux); const absY = Math.abs(uy); const absZ = Math.abs(uz)
      if (absX <= absY && absX <= absZ) { wx = 0; wy = -uz; wz = uy } else if (absY <= absZ) { wx = uz; wy = 0; wz = -ux } else { wx = -uy; wy = ux; wz = 0 }
    }
    const inverseU = 1 / Math.sqrt(lengthSquared)
    const inverseW = 1 / Math.sqrt(wx * wx + wy * wy + wz * wz)
    let e1x = ux * inverseU; let e1y = uy * inverseU; let e1z = uz * inverseU
    let e2x = wx * inverseW; let e2y = wy * inverseW; let e2z = wz * inverseW
    let e3x = e1y * e2z - e1z * e2y; let e3y = e1z * e2x - e1x * e2z; let e3z = e1x * e2y - e1y * e2x
    let step = 0
    {
      const sx = Math.abs(e1x) + Math.abs(e2x) + Math.abs(e3x)
      const sy = Math.abs(e1y) + Math.abs(e2y) + Math.abs(e3y)
      const sz = Math.abs(e1z) + Math.abs(e2z) + Math.abs(e3z)
      let largest = sx > sy ? sx : sy
      if (sz > largest) largest = sz
      step = precision / largest
    }
    const q2 = residuals[at]; const q3 = residuals[at + 1]; const sign = residuals[at + 2]; const q1 = residuals[at + 3]
    badSigns |= sign
    const t2 = q2 * step; const t3 = q3 * step
    const d01 = circles[g]
    const radialSquared = d01 * d01 - t2 * t2 - t3 * t3
    const radial = radialSquared > 0 ? Math.sqrt(radialSquared) : 0
    const s1 = (1 - 2 * sign) * radial + q1 * step
    const ax = s1 * e1x + t2 * e2x + t3 * e3x
    const ay = s1 * e1y + t2 * e2y + t3 * e3y
    const az = s1 * e1z + t2 * e2z + t3 * e3z
    relative[r2] = ax; relative[r2 + 1] = ay; relative[r2 + 2] = az
    out[r2] = ox + ax; out[r2 + 1] = oy + ay; out[r2 + 2] = oz + az
    // Third atom: e1 along the second atom's offset a, e2 along the part of the third's
    // previous offset p ((0, 0, 1) in frame 0) perpendicular to a, e3 = e1 × e2; the
    // perpendicular part p − (p·a / a·a) a needs no square root, so both run in parallel.
    const r3 = r2 + 3
    let px = 0; let py = 0; let pz = 1
    if (f !== 0) { px = relative[r3]; py = relative[r3 + 1]; pz = relative[r3 + 2] }
    const axisSquared = ax * ax + ay * ay + az * az
    const k = (px * ax + py * ay + pz * az) / axisSquared
    wx = px - k * ax; wy = py - k * ay; wz = pz - k * az
    const perpendicularSquared = wx * wx + wy * wy + wz * wz
    if (axisSquared > 1e-24 && perpendicularSquared > 1e-18 * (px * px + py * py + pz * pz)) {
      const inverseA = 1 / Math.sqrt(axisSquared)
      const inverseP = 1 / Math.sqrt(perpendicularSquared)
      e1x = ax * inverseA; e1y = ay * inverseA; e1z = az * inverseA
      e2x = wx * inverseP; e2y = wy * inverseP; e2z = wz * inverseP
      e3x = e1y * e2z - e1z * e2y; e3y = e1z * e2x - e1x * e2z; e3z = e1x * e2y - e1y * e2x
      {
        const sx = Math.abs(e1x) + Math.abs(e2x) + Math.abs(e3x)
        const sy = Math.abs(e1y) + Math.abs(e2y) + Math.abs(e3y)
        const sz = Math.abs(e1z) + Math.abs(e2z) + Math.abs(e3z)
        let largest = sx > sy ? sx : sy
        if (sz > largest) largest = sz
        step = precision / largest
      }
    } else {
      // Rare (degenerate geometry): the shared function's fallbacks, identical in encoder and decoder.
      basisWithPlane(ax, ay, az, px, py, pz, precision, basis)
      e1x = basis[0]; e1y = basis[1]; e1z = basis[2]; e2x = basis[3]; e2y = basis[4]; e2z = basis[5]
      e3x = basis[6]; e3y = basis[7]; e3z = basis[8]; step = basis[9]
    }
    const p3 = residuals[at + 4]; const sign3 = residuals[at + 5]; const p1 = residuals[at + 6]; const p2 = residuals[at + 7]
    badSigns |= sign3
    const u3 = p3 * step
    const rho = circles[g + 2]
    const inPlaneSquared = rho * rho - u3 * u3
    const inPlane = inPlaneSquared > 0 ? Math.sqrt(inPlaneSquared) : 0
    const u2 = (1 - 2 * sign3) * inPlane + p2 * step
    const u1 = circles[g + 1] + p1 * step
    const bx = u1 * e1x + u2 * e2x + u3 * e3x
    const by = u1 * e1y + u2 * e2y + u3 * e3y
    const bz = u1 * e1z + u2 * e2z + u3 * e3z
    relative[r3] = bx; relative[r3 + 1] = by; relative[r3 + 2] = bz
    out[r3] = ox + bx; out[r3 + 1] = oy + by; out[r3 + 2] = oz + bz
    at += 8
    a += 2
  }
  if ((badSigns & ~1) !== 0) throw new ChunkCorruptedError('The trajectory chunk\'s rigid-molecule data is corrupted.')
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
  for (let f = 0; f < frameCount; f++) {
    stream.readFrame(f === 0 ? intraTemplate : interTemplate, residuals)
    const frameOut = out.subarray(f * stride, (f + 1) * stride)
    const frameBits = new Int32Array(frameOut.buffer, frameOut.byteOffset, stride)
    rebuildFrame(f, residuals, ring, atomCount, precisionNm, lossless, plan, circles, coefficients, relative, basis, frameOut, frameBits)
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
