/**
 * Rigid triplets of one frame (the scheme: rigid-triplets.ts): the
 * encoder's local components and the decoder's positions of every
 * triplet's second and third atoms.
 *
 * Per frame, a triplet's residuals are, after its head's three:
 * (q2, q3, q1 with the second atom's sign folded in) and (p3, p1, p2 with
 * the third atom's sign folded in); see foldSign.
 *
 * Speed: this is the codec's costliest arithmetic (six square roots and
 * seven divisions per triplet), run over runs of consecutive triplets that
 * share a geometry (in practice: all waters, one run), so the geometry's
 * constants and the atom and residual indices are plain loop variables, and
 * each triplet touches its typed arrays as few times as possible (every
 * access costs V8 a bounds and a detach check). Choices that depend on a
 * molecule's orientation (helper axis, largest row sum) are made without
 * branches, which would be mispredicted half the time. The encoder and
 * decoder loops repeat the same arithmetic operation for operation
 * (duplicated on purpose: a shared helper called per triplet with double
 * arguments may box them unless inlined), so both reconstruct bit-identical
 * positions (only +, −, ×, ÷, sqrt).
 */
import { basisWithPlane as importedBasisWithPlane, ATOM_TRIPLET_HEAD } from './rigid-triplets.ts'

/** Local copy of the imported function (hot loops call local bindings). */
const basisWithPlane = importedBasisWithPlane

/**
 * max over the axes of |e1| + |e2| + |e3| (BASIS_STEP) of an orthonormal
 * basis, without branches (they would be mispredicted half the time): each
 * sum lies in [1, √3], so for two of them a and b, b − a is exact (Sterbenz)
 * and a + (b − a) · [b > a] is exactly max(a, b). Small enough for V8 to
 * inline.
 */
function largestRowSum (e1x: number, e1y: number, e1z: number, e2x: number, e2y: number, e2z: number, e3x: number, e3y: number, e3z: number): number {
  const sx = Math.abs(e1x) + Math.abs(e2x) + Math.abs(e3x)
  const sy = Math.abs(e1y) + Math.abs(e2y) + Math.abs(e3y)
  const sz = Math.abs(e1z) + Math.abs(e2z) + Math.abs(e3z)
  const xy = sx + (sy - sx) * +(sy > sx)
  return xy + (sz - xy) * +(sz > xy)
}

/**
 * A small residual q and a sign bit as one residual whose zigzag value is
 * zigzag(q) · 2 + sign: the sign (almost always 0) then costs no symbol of
 * its own, and the entropy coder codes the pair jointly at no loss. Exact for
 * |q| < 2^29 (radial and in-plane residuals of a rigid triplet are below
 * 0.4 nm / (1e-7 nm / √3) < 2^23).
 */
function foldSign (q: number, sign: number): number {
  const v = (((q << 1) ^ (q >> 31)) << 1) | sign
  return (v >>> 1) ^ -(v & 1)
}

/** The sign bit of a residual made by foldSign. */
function foldedSign (folded: number): number {
  return ((folded << 1) ^ (folded >> 31)) & 1
}

/** The residual q of a residual made by foldSign. */
function unfoldedValue (folded: number): number {
  const half = ((folded << 1) ^ (folded >> 31)) >>> 1
  return (half >>> 1) ^ -(half & 1)
}

/** Runs of consecutive triplets with one geometry; fixed for the whole chunk. */
export interface TripletRuns {
  readonly count: number
  /** Per run: its first head atom (the others follow every 3 atoms). */
  readonly firstHead: Int32Array
  /** Per run: its number of triplets. */
  readonly length: Int32Array
  /** Per run: where its first triplet's second-atom values start in a frame's residuals (then every 9). */
  readonly residualAt: Int32Array
  /** Per run: 3 × its geometry's index (into the circles of tripletCircles). */
  readonly circleAt: Int32Array
}

/** Residuals per triplet in a frame: 3 for each atom. */
const RESIDUALS_PER_TRIPLET = 9

/**
 * The runs of triplets in `kinds` (symbols per frame: 3 per atom, in atom
 * order; as contextTemplate).
 */
export function tripletRuns (kinds: Uint8Array, geometryOf: Uint8Array): TripletRuns {
  const firstHead: number[] = []; const length: number[] = []; const residualAt: number[] = []; const circleAt: number[] = []
  let at = 0
  let previousHead = -10
  for (let a = 0; a < kinds.length; a++) {
    if (kinds[a] === ATOM_TRIPLET_HEAD) {
      const last = firstHead.length - 1
      if (last >= 0 && previousHead === a - 3 && circleAt[last] === 3 * geometryOf[a]) length[last]++
      else { firstHead.push(a); length.push(1); residualAt.push(at + 3); circleAt.push(3 * geometryOf[a]) }
      previousHead = a
    }
    at += 3
  }
  return { count: firstHead.length, firstHead: Int32Array.from(firstHead), length: Int32Array.from(length), residualAt: Int32Array.from(residualAt), circleAt: Int32Array.from(circleAt) }
}

/**
 * The second atom's local frame, written to basis[0..8] (e1, e2, e3) and
 * basis[9] (the step): e1 along its previous offset u from the head, read
 * from `relative` at `r2` ((1, 0, 0) in frame 0), e2 along h × u for the
 * coordinate axis h least aligned with u, e3 = e1 × e2. Both norms are taken
 * from u so their square roots run in parallel. Encoder and decoder share
 * it, so their frames are bit-identical.
 */
function secondAtomBasis (relative: Float64Array, r2: number, f: number, precision: number, basis: Float64Array): void {
  let ux = 1; let uy = 0; let uz = 0
  if (f !== 0) { ux = relative[r2]; uy = relative[(r2 + 1) | 0]; uz = relative[(r2 + 2) | 0] }
  let lengthSquared = ux * ux + uy * uy + uz * uz
  if (!(lengthSquared > 1e-24)) { ux = 1; uy = 0; uz = 0; lengthSquared = 1 }
  // w = h × u without branches (the axis depends on each molecule's orientation, so a
  // branch would be mispredicted half the time): exactly one of m0, m1, m2 is 1.
  const absX = Math.abs(ux); const absY = Math.abs(uy); const absZ = Math.abs(uz)
  const m0 = +(absX <= absY) & +(absX <= absZ)
  const m1 = (m0 ^ 1) & +(absY <= absZ)
  const m2 = 1 - m0 - m1
  const wx = m1 * uz - m2 * uy; const wy = m2 * ux - m0 * uz; const wz = m0 * uy - m1 * ux
  const inverseU = 1 / Math.sqrt(lengthSquared)
  const inverseW = 1 / Math.sqrt(wx * wx + wy * wy + wz * wz)
  storeFrame(ux * inverseU, uy * inverseU, uz * inverseU, wx * inverseW, wy * inverseW, wz * inverseW, precision, basis)
}

/**
 * The third atom's local frame, written to `basis` as secondAtomBasis does:
 * e1 along the second atom's offset a, e2 along the part of the third's
 * previous offset p (read from `relative` at `r3`; (0, 0, 1) in frame 0)
 * perpendicular to a, e3 = e1 × e2. The perpendicular part
 * p − (p·a / a·a) a needs no square root, so both run in parallel.
 * Degenerate geometry takes basisWithPlane's fallbacks.
 */
function thirdAtomBasis (ax: number, ay: number, az: number, relative: Float64Array, r3: number, f: number, precision: number, basis: Float64Array): void {
  let px = 0; let py = 0; let pz = 1
  if (f !== 0) { px = relative[r3]; py = relative[(r3 + 1) | 0]; pz = relative[(r3 + 2) | 0] }
  const axisSquared = ax * ax + ay * ay + az * az
  const k = (px * ax + py * ay + pz * az) / axisSquared
  const wx = px - k * ax; const wy = py - k * ay; const wz = pz - k * az
  const perpendicularSquared = wx * wx + wy * wy + wz * wz
  if (axisSquared > 1e-24 && perpendicularSquared > 1e-18 * (px * px + py * py + pz * pz)) {
    const inverseA = 1 / Math.sqrt(axisSquared)
    const inverseP = 1 / Math.sqrt(perpendicularSquared)
    storeFrame(ax * inverseA, ay * inverseA, az * inverseA, wx * inverseP, wy * inverseP, wz * inverseP, precision, basis)
  } else {
    // Rare (degenerate geometry): the shared function's fallbacks.
    basisWithPlane(ax, ay, az, px, py, pz, precision, basis)
  }
}

/** Stores e1, e2, e3 = e1 × e2 and the step precision / largestRowSum. */
function storeFrame (e1x: number, e1y: number, e1z: number, e2x: number, e2y: number, e2z: number, precision: number, basis: Float64Array): void {
  const e3x = e1y * e2z - e1z * e2y; const e3y = e1z * e2x - e1x * e2z; const e3z = e1x * e2y - e1y * e2x
  basis[0] = e1x; basis[1] = e1y; basis[2] = e1z; basis[3] = e2x; basis[4] = e2y; basis[5] = e2z
  basis[6] = e3x; basis[7] = e3y; basis[8] = e3z
  basis[9] = precision / largestRowSum(e1x, e1y, e1z, e2x, e2y, e2z, e3x, e3y, e3z)
}

/**
 * Encoder: the second and third atoms of every triplet of frame `f`, whose
 * values start at `base` in `coords` (nm) and `lattice` (heads on the
 * lattice of spacing precisionBox[0], nm). Writes each triplet's 8 local
 * values to `residuals` and its rebuilt offsets from the head (exactly as
 * the decoder will have them) to `relative`, which holds the previous
 * frame's. `basis` is a BASIS_LENGTH scratch.
 */
export function codeTriplets (runs: TripletRuns, f: number, coords: Float32Array, lattice: Int32Array, base: number, precisionBox: Float64Array,
  circles: Float64Array, relative: Float64Array, residuals: Int32Array, basis: Float64Array): void {
  const precision = precisionBox[0]
  for (let run = 0; run < runs.count; run++) {
    const g = runs.circleAt[run]
    const d01 = circles[g]; const along = circles[(g + 1) | 0]; const rho = circles[(g + 2) | 0]
    const d01Squared = d01 * d01; const rhoSquared = rho * rho
    let o = 3 * runs.firstHead[run]
    let at = runs.residualAt[run]
    for (let n = runs.length[run]; n > 0; n--, o = (o + 9) | 0, at = (at + RESIDUALS_PER_TRIPLET) | 0) {
      const j = (base + o) | 0
      const ox = lattice[j] * precision; const oy = lattice[(j + 1) | 0] * precision; const oz = lattice[(j + 2) | 0] * precision
      const r2 = (o + 3) | 0
      const r3 = (o + 6) | 0
      secondAtomBasis(relative, r2, f, precision, basis)
      let e1x = basis[0]; let e1y = basis[1]; let e1z = basis[2]; let e2x = basis[3]; let e2y = basis[4]; let e2z = basis[5]
      let e3x = basis[6]; let e3y = basis[7]; let e3z = basis[8]; let step = basis[9]
      let inverseStep = 1 / step
      const vx = coords[(j + 3) | 0] - ox; const vy = coords[(j + 4) | 0] - oy; const vz = coords[(j + 5) | 0] - oz
      const q2 = Math.floor((vx * e2x + vy * e2y + vz * e2z) * inverseStep + 0.5)
      const q3 = Math.floor((vx * e3x + vy * e3y + vz * e3z) * inverseStep + 0.5)
      const c1 = vx * e1x + vy * e1y + vz * e1z
      const sign = c1 < 0 ? 1 : 0
      const t2 = q2 * step; const t3 = q3 * step
      const radialSquared = d01Squared - t2 * t2 - t3 * t3
      const radial = radialSquared > 0 ? Math.sqrt(radialSquared) : 0
      const q1 = Math.floor((c1 - (1 - 2 * sign) * radial) * inverseStep + 0.5)
      const s1 = (1 - 2 * sign) * radial + q1 * step
      const ax = s1 * e1x + t2 * e2x + t3 * e3x
      const ay = s1 * e1y + t2 * e2y + t3 * e3y
      const az = s1 * e1z + t2 * e2z + t3 * e3z
      thirdAtomBasis(ax, ay, az, relative, r3, f, precision, basis)
      relative[r2] = ax; relative[(r2 + 1) | 0] = ay; relative[(r2 + 2) | 0] = az
      e1x = basis[0]; e1y = basis[1]; e1z = basis[2]; e2x = basis[3]; e2y = basis[4]; e2z = basis[5]
      e3x = basis[6]; e3y = basis[7]; e3z = basis[8]; step = basis[9]
      inverseStep = 1 / step
      const wx3 = coords[(j + 6) | 0] - ox; const wy3 = coords[(j + 7) | 0] - oy; const wz3 = coords[(j + 8) | 0] - oz
      const p3 = Math.floor((wx3 * e3x + wy3 * e3y + wz3 * e3z) * inverseStep + 0.5)
      const c2 = wx3 * e2x + wy3 * e2y + wz3 * e2z
      const sign3 = c2 < 0 ? 1 : 0
      const u3 = p3 * step
      const inPlaneSquared = rhoSquared - u3 * u3
      const inPlane = inPlaneSquared > 0 ? Math.sqrt(inPlaneSquared) : 0
      const p2 = Math.floor((c2 - (1 - 2 * sign3) * inPlane) * inverseStep + 0.5)
      const p1 = Math.floor((wx3 * e1x + wy3 * e1y + wz3 * e1z - along) * inverseStep + 0.5)
      const u2 = (1 - 2 * sign3) * inPlane + p2 * step
      const u1 = along + p1 * step
      relative[r3] = u1 * e1x + u2 * e2x + u3 * e3x
      relative[(r3 + 1) | 0] = u1 * e1y + u2 * e2y + u3 * e3y
      relative[(r3 + 2) | 0] = u1 * e1z + u2 * e2z + u3 * e3z
      residuals[at] = q2; residuals[(at + 1) | 0] = q3; residuals[(at + 2) | 0] = foldSign(q1, sign)
      residuals[(at + 3) | 0] = p3; residuals[(at + 4) | 0] = p1; residuals[(at + 5) | 0] = foldSign(p2, sign3)
    }
  }
}

/**
 * Decoder: positions (nm) of the second and third atoms of every triplet of
 * frame `f` into `out` (this frame's values), from `residuals`, with the
 * heads' lattice values at `now` in `ring`; mirrors codeTriplets operation
 * for operation. Updates `relative` as codeTriplets does.
 */
export function placeTriplets (runs: TripletRuns, f: number, residuals: Int32Array, ring: Int32Array, now: number, precisionBox: Float64Array,
  circles: Float64Array, relative: Float64Array, out: Float32Array, basis: Float64Array): void {
  const precision = precisionBox[0]
  for (let run = 0; run < runs.count; run++) {
    const g = runs.circleAt[run]
    const d01 = circles[g]; const along = circles[(g + 1) | 0]; const rho = circles[(g + 2) | 0]
    const d01Squared = d01 * d01; const rhoSquared = rho * rho
    let o = 3 * runs.firstHead[run]
    let at = runs.residualAt[run]
    for (let n = runs.length[run]; n > 0; n--, o = (o + 9) | 0, at = (at + RESIDUALS_PER_TRIPLET) | 0) {
      const j = (now + o) | 0
      const ox = ring[j] * precision; const oy = ring[(j + 1) | 0] * precision; const oz = ring[(j + 2) | 0] * precision
      const r2 = (o + 3) | 0
      const r3 = (o + 6) | 0
      secondAtomBasis(relative, r2, f, precision, basis)
      let e1x = basis[0]; let e1y = basis[1]; let e1z = basis[2]; let e2x = basis[3]; let e2y = basis[4]; let e2z = basis[5]
      let e3x = basis[6]; let e3y = basis[7]; let e3z = basis[8]; let step = basis[9]
      const q2 = residuals[at]; const q3 = residuals[(at + 1) | 0]
      const folded = residuals[(at + 2) | 0]
      const sign = foldedSign(folded); const q1 = unfoldedValue(folded)
      const t2 = q2 * step; const t3 = q3 * step
      const radialSquared = d01Squared - t2 * t2 - t3 * t3
      const radial = radialSquared > 0 ? Math.sqrt(radialSquared) : 0
      const s1 = (1 - 2 * sign) * radial + q1 * step
      const ax = s1 * e1x + t2 * e2x + t3 * e3x
      const ay = s1 * e1y + t2 * e2y + t3 * e3y
      const az = s1 * e1z + t2 * e2z + t3 * e3z
      thirdAtomBasis(ax, ay, az, relative, r3, f, precision, basis)
      relative[r2] = ax; relative[(r2 + 1) | 0] = ay; relative[(r2 + 2) | 0] = az
      out[r2] = ox + ax; out[(r2 + 1) | 0] = oy + ay; out[(r2 + 2) | 0] = oz + az
      e1x = basis[0]; e1y = basis[1]; e1z = basis[2]; e2x = basis[3]; e2y = basis[4]; e2z = basis[5]
      e3x = basis[6]; e3y = basis[7]; e3z = basis[8]; step = basis[9]
      const p3 = residuals[(at + 3) | 0]; const p1 = residuals[(at + 4) | 0]
      const folded3 = residuals[(at + 5) | 0]
      const sign3 = foldedSign(folded3); const p2 = unfoldedValue(folded3)
      const u3 = p3 * step
      const inPlaneSquared = rhoSquared - u3 * u3
      const inPlane = inPlaneSquared > 0 ? Math.sqrt(inPlaneSquared) : 0
      const u2 = (1 - 2 * sign3) * inPlane + p2 * step
      const u1 = along + p1 * step
      const bx = u1 * e1x + u2 * e2x + u3 * e3x
      const by = u1 * e1y + u2 * e2y + u3 * e3y
      const bz = u1 * e1z + u2 * e2z + u3 * e3z
      relative[r3] = bx; relative[(r3 + 1) | 0] = by; relative[(r3 + 2) | 0] = bz
      out[r3] = ox + bx; out[(r3 + 1) | 0] = oy + by; out[(r3 + 2) | 0] = oz + bz
    }
  }
}
