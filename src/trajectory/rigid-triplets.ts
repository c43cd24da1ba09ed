/**
 * Rigid three-atom molecules (SETTLE waters and the like): three
 * consecutive atoms whose three distances stay constant over a chunk. Their
 * first atom is coded on the integer lattice like any atom; the other two
 * have fewer degrees of freedom (the second lies on a sphere around the
 * first, the third on a circle), so they are coded in a local frame where
 * the constrained components are predicted from the geometry and cost
 * almost nothing. Only +, −, ×, ÷ and sqrt are used, so encoder and decoder
 * reconstruct bit-identical positions on any IEEE-754 machine.
 *
 * Error bound: each local component is quantized with step
 * s = P / max_axis(|e1,axis|+|e2,axis|+|e3,axis|) (see BASIS_STEP), so each
 * Cartesian coordinate is within (s/2)(|e1x|+|e2x|+|e3x|) ≤ P/2.
 */
import type { ByteReader, ByteWriter } from './byte-io.ts'
import { ChunkCorruptedError } from './errors.ts'

/** Atom kinds in a chunk's coding plan. */
export const ATOM_LATTICE = 0
export const ATOM_TRIPLET_HEAD = 1
export const ATOM_TRIPLET_SECOND = 2
export const ATOM_TRIPLET_THIRD = 3

/** Distances (nm) of a rigid triplet kept per chunk: d01, d02, d12. */
const MIN_BOND_NM = 0.05
const MAX_BOND_NM = 0.2
const MAX_SPAN_NM = 0.3
/**
 * Largest drift of a distance over the chunk for a triplet to count as rigid,
 * nm: 1e-4 for raw coordinates, wider for input already on a lattice of the
 * same precision (an XTC being converted). Any choice is correct — residuals
 * absorb whatever the geometry misses — it only decides what is cheapest.
 */
function rigidTolerance (precisionNm: number): number { return Math.max(1e-4, 2 * precisionNm) }
/** Geometry keys are distances rounded to this, nm. */
function geometryResolution (precisionNm: number): number { return Math.max(1e-5, precisionNm / 2) }
/** A geometry must be shared by this many triplets to be used (flexible triplets never share one exactly). */
const MIN_TRIPLETS_PER_GEOMETRY = 4
const MAX_GEOMETRIES = 255

export interface TripletPlan {
  /** Per atom: ATOM_LATTICE, ATOM_TRIPLET_HEAD, _SECOND or _THIRD. */
  readonly kinds: Uint8Array
  /** Per triplet head: index into `geometries`. */
  readonly geometryOf: Uint8Array
  /** d01, d02, d12 (nm) per geometry. */
  readonly geometries: Float64Array
  readonly tripletCount: number
}

export function emptyPlan (atomCount: number): TripletPlan {
  return { kinds: new Uint8Array(atomCount), geometryOf: new Uint8Array(atomCount), geometries: new Float64Array(0), tripletCount: 0 }
}

function distance (c: Float32Array, base: number, i: number, j: number): number {
  const dx = c[base + 3 * i] - c[base + 3 * j]
  const dy = c[base + 3 * i + 1] - c[base + 3 * j + 1]
  const dz = c[base + 3 * i + 2] - c[base + 3 * j + 2]
  return Math.sqrt(dx * dx + dy * dy + dz * dz)
}

function distanceSquared (c: Float32Array, base: number, i: number, j: number): number {
  const dx = c[base + 3 * i] - c[base + 3 * j]
  const dy = c[base + 3 * i + 1] - c[base + 3 * j + 1]
  const dz = c[base + 3 * i + 2] - c[base + 3 * j + 2]
  return dx * dx + dy * dy + dz * dz
}

/** Squared-distance window [lowest, highest] for a distance d ± tolerance (nm², no sqrt per frame). */
function lowSquared (d: number, tolerance: number): number { const low = d - tolerance; return low > 0 ? low * low : 0 }
function highSquared (d: number, tolerance: number): number { const high = d + tolerance; return high * high }

/** Rounded geometry key of triplet `a` if it is rigid over all frames, else null. */
function rigidKey (coords: Float32Array, atomCount: number, frameCount: number, a: number, tolerance: number, resolution: number): string | null {
  const d01 = distance(coords, 0, a, a + 1)
  const d02 = distance(coords, 0, a, a + 2)
  const d12 = distance(coords, 0, a + 1, a + 2)
  if (!(d01 >= MIN_BOND_NM && d01 <= MAX_BOND_NM && d02 >= MIN_BOND_NM && d02 <= MAX_BOND_NM && d12 >= MIN_BOND_NM && d12 <= MAX_SPAN_NM)) return null
  const stride = 3 * atomCount
  const low01 = lowSquared(d01, tolerance); const high01 = highSquared(d01, tolerance)
  const low02 = lowSquared(d02, tolerance); const high02 = highSquared(d02, tolerance)
  const low12 = lowSquared(d12, tolerance); const high12 = highSquared(d12, tolerance)
  for (let f = 1; f < frameCount; f++) {
    const base = f * stride
    const s01 = distanceSquared(coords, base, a, a + 1)
    if (!(s01 >= low01 && s01 <= high01)) return null
    const s02 = distanceSquared(coords, base, a, a + 2)
    if (!(s02 >= low02 && s02 <= high02)) return null
    const s12 = distanceSquared(coords, base, a + 1, a + 2)
    if (!(s12 >= low12 && s12 <= high12)) return null
  }
  const r = (d: number): number => Math.round(d / resolution)
  return `${r(d01)},${r(d02)},${r(d12)}`
}

/** Finds rigid triplets in `frameCount` frames of `atomCount` atoms (coords nm, frame-major) to be coded at `precisionNm`. */
export function planRigidTriplets (coords: Float32Array, atomCount: number, frameCount: number, precisionNm: number): TripletPlan {
  const tolerance = rigidTolerance(precisionNm)
  const resolution = geometryResolution(precisionNm)
  const keys = new Map<number, string>()
  // Per geometry key: member count and the sums of d01, d02, d12 over members (frame 0), so a
  // geometry is stored as its members' mean rather than its rounding bucket.
  const uses = new Map<string, Float64Array>()
  for (let a = 0; a + 2 < atomCount;) {
    const key = rigidKey(coords, atomCount, frameCount, a, tolerance, resolution)
    if (key === null) { a++; continue }
    keys.set(a, key)
    let sums = uses.get(key)
    if (sums === undefined) { sums = new Float64Array(4); uses.set(key, sums) }
    sums[0]++
    sums[1] += distance(coords, 0, a, a + 1); sums[2] += distance(coords, 0, a, a + 2); sums[3] += distance(coords, 0, a + 1, a + 2)
    a += 3
  }
  const geometryIndex = new Map<string, number>()
  const geometryList: number[] = []
  for (const [key, sums] of uses) {
    if (sums[0] < MIN_TRIPLETS_PER_GEOMETRY || geometryIndex.size >= MAX_GEOMETRIES) continue
    geometryIndex.set(key, geometryIndex.size)
    geometryList.push(sums[1] / sums[0], sums[2] / sums[0], sums[3] / sums[0])
  }
  const plan = emptyPlan(atomCount)
  let tripletCount = 0
  for (const [a, key] of keys) {
    const g = geometryIndex.get(key)
    if (g === undefined) continue
    plan.kinds[a] = ATOM_TRIPLET_HEAD
    plan.kinds[a + 1] = ATOM_TRIPLET_SECOND
    plan.kinds[a + 2] = ATOM_TRIPLET_THIRD
    plan.geometryOf[a] = g
    tripletCount++
  }
  return { kinds: plan.kinds, geometryOf: plan.geometryOf, geometries: Float64Array.from(geometryList), tripletCount }
}

/** Serialises the plan: geometries, then runs of consecutive triplets (gap, length, geometry). */
export function writeTripletPlan (writer: ByteWriter, plan: TripletPlan): void {
  const geometryCount = plan.geometries.length / 3
  writer.u8(geometryCount)
  for (let i = 0; i < plan.geometries.length; i++) writer.f64(plan.geometries[i])
  const atomCount = plan.kinds.length
  const runs: number[] = []
  let previousEnd = 0
  for (let a = 0; a < atomCount;) {
    if (plan.kinds[a] !== ATOM_TRIPLET_HEAD) { a++; continue }
    const g = plan.geometryOf[a]
    let length = 0
    let b = a
    while (b < atomCount && plan.kinds[b] === ATOM_TRIPLET_HEAD && plan.geometryOf[b] === g) { length++; b += 3 }
    runs.push(a - previousEnd, length, g)
    previousEnd = b
    a = b
  }
  writer.varint(runs.length / 3)
  for (const value of runs) writer.varint(value)
}

/** Upper bound of writeTripletPlan's output, bytes. */
export function tripletPlanMaxBytes (plan: TripletPlan): number {
  return 1 + plan.geometries.length * 8 + 8 + plan.tripletCount * 3 * 8
}

export function readTripletPlan (reader: ByteReader, atomCount: number): TripletPlan {
  const geometryCount = reader.u8()
  const geometries = new Float64Array(3 * geometryCount)
  for (let i = 0; i < geometries.length; i++) {
    geometries[i] = reader.f64()
    if (!(geometries[i] > 0 && geometries[i] < 1)) throw new ChunkCorruptedError('The trajectory chunk has an impossible rigid-molecule geometry.')
  }
  const plan = emptyPlan(atomCount)
  const runCount = reader.varint()
  let at = 0
  let tripletCount = 0
  for (let r = 0; r < runCount; r++) {
    at += reader.varint()
    const length = reader.varint()
    const g = reader.varint()
    if (g >= geometryCount || at + 3 * length > atomCount) throw new ChunkCorruptedError('The trajectory chunk has a malformed rigid-molecule layout.')
    for (let k = 0; k < length; k++) {
      plan.kinds[at] = ATOM_TRIPLET_HEAD
      plan.kinds[at + 1] = ATOM_TRIPLET_SECOND
      plan.kinds[at + 2] = ATOM_TRIPLET_THIRD
      plan.geometryOf[at] = g
      at += 3
      tripletCount++
    }
  }
  return { kinds: plan.kinds, geometryOf: plan.geometryOf, geometries, tripletCount }
}

/**
 * Fills basis[0..8] with an orthonormal frame e1, e2, e3 whose e1 is along
 * (ax, ay, az) ((1,0,0) when that is zero), and basis[9] with the
 * quantization step for precision `precisionNm` (see BASIS_STEP).
 * Encoder and decoder both call this, so their frames are bit-identical.
 */
export function basisAlong (ax: number, ay: number, az: number, precisionNm: number, basis: Float64Array): void {
  let n = Math.sqrt(ax * ax + ay * ay + az * az)
  if (!(n > 1e-12)) { ax = 1; ay = 0; az = 0; n = 1 }
  const inverse = 1 / n
  const x = ax * inverse; const y = ay * inverse; const z = az * inverse
  // Helper axis: the coordinate axis least aligned with e1; e2 = normalize(helper × e1).
  const absX = x < 0 ? -x : x; const absY = y < 0 ? -y : y; const absZ = z < 0 ? -z : z
  let px: number, py: number, pz: number
  if (absX <= absY && absX <= absZ) { px = 0; py = -z; pz = y } else if (absY <= absZ) { px = z; py = 0; pz = -x } else { px = -y; py = x; pz = 0 }
  const inverseM = 1 / Math.sqrt(px * px + py * py + pz * pz)
  px *= inverseM; py *= inverseM; pz *= inverseM
  storeBasis(x, y, z, px, py, pz, precisionNm, basis)
}

/**
 * Basis for the third atom: e1 along `axis` (normalised here), e2 the part
 * of (px, py, pz) perpendicular to it, e3 = e1 × e2; basis[9] the step.
 */
export function basisWithPlane (axisX: number, axisY: number, axisZ: number, px: number, py: number, pz: number, precisionNm: number, basis: Float64Array): void {
  const n = Math.sqrt(axisX * axisX + axisY * axisY + axisZ * axisZ)
  if (!(n > 1e-12)) { basisAlong(1, 0, 0, precisionNm, basis); return }
  const inverse = 1 / n
  const x = axisX * inverse; const y = axisY * inverse; const z = axisZ * inverse
  const along = px * x + py * y + pz * z
  let qx = px - along * x; let qy = py - along * y; let qz = pz - along * z
  const m = Math.sqrt(qx * qx + qy * qy + qz * qz)
  if (!(m > 1e-9)) { basisAlong(x, y, z, precisionNm, basis); return }
  const inverseM = 1 / m
  qx *= inverseM; qy *= inverseM; qz *= inverseM
  storeBasis(x, y, z, qx, qy, qz, precisionNm, basis)
}

/** Stores e1, e2, e3 = e1 × e2 and the step (BASIS_STEP; without Math.max: it is slow with three arguments). */
function storeBasis (x: number, y: number, z: number, px: number, py: number, pz: number, precisionNm: number, basis: Float64Array): void {
  const rx = y * pz - z * py
  const ry = z * px - x * pz
  const rz = x * py - y * px
  basis[0] = x; basis[1] = y; basis[2] = z
  basis[3] = px; basis[4] = py; basis[5] = pz
  basis[6] = rx; basis[7] = ry; basis[8] = rz
  const sx = (x < 0 ? -x : x) + (px < 0 ? -px : px) + (rx < 0 ? -rx : rx)
  const sy = (y < 0 ? -y : y) + (py < 0 ? -py : py) + (ry < 0 ? -ry : ry)
  const sz = (z < 0 ? -z : z) + (pz < 0 ? -pz : pz) + (rz < 0 ? -rz : rz)
  let largest = sx > sy ? sx : sy
  if (sz > largest) largest = sz
  basis[9] = precisionNm / largest
}

/** The magnitude of the remaining component of a vector of length `length` whose other two components are a and b. */
export function remainingComponent (length: number, a: number, b: number): number {
  const r2 = length * length - a * a - b * b
  return r2 > 0 ? Math.sqrt(r2) : 0
}

/**
 * The quantization step for components along a basis (written to basis[9]
 * by basisAlong and basisWithPlane): a coordinate's error is at most
 * (s/2) Σ_k |e_k,axis|, so s = P / max over axes of Σ_k |e_k,axis|
 * (between P/√3 and P), which keeps every Cartesian coordinate within P/2.
 */
export const BASIS_STEP = 9
/** Length of a basis scratch array: 9 components and the step. */
export const BASIS_LENGTH = 10
