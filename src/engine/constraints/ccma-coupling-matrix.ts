/**
 * The CCMA coupling matrix (Eastwood et al., J. Chem. Theory Comput. 6, 2045
 * (2010)), built as OpenMM 7.7's ReferenceCCMAAlgorithm builds it:
 *
 *   A[j][j] = 1
 *   A[j][k] = scale * cos(angle between constraints j and k at their shared atom)
 *
 * where scale = invMass(shared atom) / (invMass(j's first) + invMass(j's second)).
 * The angle comes from a third constraint closing the triangle (law of
 * cosines), else from a HarmonicAngleForce term's equilibrium angle, else the
 * element is left out. The matrix is inverted, each element is scaled by
 * d_k / d_j, and elements with |value| <= elementCutoff are dropped. The
 * result is stored in compressed sparse rows: during iteration
 * delta'[j] = sum_k M[j][k] delta[k].
 *
 * OpenMM inverts the whole matrix with a sparse QR factorization. Constraints
 * only couple when they share an atom, so the matrix is block diagonal over
 * the connected clusters of constraints; this inverts each cluster's block
 * densely (Gauss-Jordan, partial pivoting), which gives the same inverse up to
 * rounding. Clusters larger than `MAX_DENSE_CLUSTER` (e.g. every bond of a
 * protein constrained) keep the identity for their block: CCMA then reduces to
 * plain iterative (M-SHAKE-like) correction, which still converges, only in
 * more iterations.
 */
import type { HarmonicAngleForce, System } from '../system.ts'

/** Largest cluster of coupled constraints whose block is inverted densely (cost ~ n^3). */
export const MAX_DENSE_CLUSTER = 800

/** OpenMM's element cutoff for the inverted matrix. */
export const CCMA_ELEMENT_CUTOFF = 0.02

export interface SparseMatrix {
  /** Row j's elements are rowStart[j] .. rowStart[j+1]-1. */
  readonly rowStart: Int32Array
  readonly column: Int32Array
  readonly value: Float64Array
}

export interface AngleTerm { atom1: number, atom2: number, atom3: number, angleRad: number }

/** Equilibrium angles of every HarmonicAngleForce of the system, in force order. */
export function harmonicAngles (system: System): AngleTerm[] {
  const angles: AngleTerm[] = []
  for (const force of system.forces) {
    if (force.type !== 'HarmonicAngleForce') continue
    const f = force as HarmonicAngleForce
    for (let i = 0; i < f.p1.length; i++) {
      angles.push({ atom1: f.p1[i], atom2: f.p2[i], atom3: f.p3[i], angleRad: f.angleRad[i] })
    }
  }
  return angles
}

/**
 * Builds the inverted, scaled, sparsified CCMA matrix for constraints
 * (atomA[j], atomB[j], distanceNm[j]).
 */
export function buildCcmaMatrix (
  particleCount: number,
  atomA: Int32Array,
  atomB: Int32Array,
  distanceNm: Float64Array,
  masses: Float64Array,
  angles: readonly AngleTerm[],
  elementCutoff = CCMA_ELEMENT_CUTOFF,
): SparseMatrix {
  const constraintCount = atomA.length
  const inverseMass = (atom: number): number => masses[atom] === 0 ? 0 : 1 / masses[atom]

  // Constraints touching each atom, and angle terms centred on each atom.
  const atomConstraints: number[][] = Array.from({ length: particleCount }, () => [])
  for (let j = 0; j < constraintCount; j++) {
    atomConstraints[atomA[j]].push(j)
    atomConstraints[atomB[j]].push(j)
  }
  const atomAngles: number[][] = Array.from({ length: particleCount }, () => [])
  for (let i = 0; i < angles.length; i++) atomAngles[angles[i].atom2].push(i)

  // Rows of the coupling matrix A, as (column, value) lists.
  const rows: Array<Map<number, number>> = []
  for (let j = 0; j < constraintCount; j++) {
    const row = new Map<number, number>()
    rows.push(row)
    const j0 = atomA[j]
    const j1 = atomB[j]
    const invMass0 = inverseMass(j0)
    const invMass1 = inverseMass(j1)
    const invMassSum = invMass0 + invMass1
    const neighbours = new Set<number>([...atomConstraints[j0], ...atomConstraints[j1]])
    for (const k of [...neighbours].sort((x, y) => x - y)) {
      if (k === j) {
        row.set(j, 1)
        continue
      }
      const k0 = atomA[k]
      const k1 = atomB[k]
      let atomOuterJ: number
      let atomShared: number
      let atomOuterK: number
      let scale: number
      if (j0 === k0) {
        atomOuterJ = j1; atomShared = j0; atomOuterK = k1; scale = invMass0 / invMassSum
      } else if (j1 === k1) {
        atomOuterJ = j0; atomShared = j1; atomOuterK = k0; scale = invMass1 / invMassSum
      } else if (j0 === k1) {
        atomOuterJ = j1; atomShared = j0; atomOuterK = k0; scale = invMass0 / invMassSum
      } else if (j1 === k0) {
        atomOuterJ = j0; atomShared = j1; atomOuterK = k1; scale = invMass1 / invMassSum
      } else {
        continue
      }
      if (!Number.isFinite(scale)) scale = 0

      // A third constraint closing the triangle fixes the angle exactly.
      let found = false
      for (const other of atomConstraints[atomOuterJ]) {
        if (atomA[other] === atomOuterK || atomB[other] === atomOuterK) {
          const d1 = distanceNm[j]
          const d2 = distanceNm[k]
          const d3 = distanceNm[other]
          row.set(k, scale * (d1 * d1 + d2 * d2 - d3 * d3) / (2 * d1 * d2))
          found = true
          break
        }
      }
      if (!found) {
        for (const candidate of atomAngles[atomShared]) {
          const angle = angles[candidate]
          if ((angle.atom1 === atomOuterJ && angle.atom3 === atomOuterK) || (angle.atom3 === atomOuterJ && angle.atom1 === atomOuterK)) {
            row.set(k, scale * Math.cos(angle.angleRad))
            break
          }
        }
      }
    }
  }

  // Clusters of coupled constraints (connected through shared atoms).
  const clusterOf = new Int32Array(constraintCount).fill(-1)
  const clusters: number[][] = []
  for (let start = 0; start < constraintCount; start++) {
    if (clusterOf[start] !== -1) continue
    const members: number[] = []
    const stack = [start]
    clusterOf[start] = clusters.length
    while (stack.length > 0) {
      const c = stack.pop()!
      members.push(c)
      for (const atom of [atomA[c], atomB[c]]) {
        for (const other of atomConstraints[atom]) {
          if (clusterOf[other] === -1) {
            clusterOf[other] = clusters.length
            stack.push(other)
          }
        }
      }
    }
    members.sort((x, y) => x - y)
    clusters.push(members)
  }

  // Invert each cluster's block; collect M[j][k] = inv[j][k] * d_k / d_j.
  const outRows: Array<Array<[number, number]>> = Array.from({ length: constraintCount }, () => [])
  for (const members of clusters) {
    const n = members.length
    if (n > MAX_DENSE_CLUSTER) {
      for (const j of members) outRows[j].push([j, 1])
      continue
    }
    const localIndex = new Map<number, number>()
    members.forEach((c, i) => localIndex.set(c, i))
    const block = new Float64Array(n * n)
    for (let a = 0; a < n; a++) {
      for (const [column, value] of rows[members[a]]) block[a * n + localIndex.get(column)!] = value
    }
    const inverse = invertDense(block, n)
    for (let a = 0; a < n; a++) {
      const j = members[a]
      for (let b = 0; b < n; b++) {
        const k = members[b]
        const value = inverse[a * n + b] * distanceNm[k] / distanceNm[j]
        if (Math.abs(value) > elementCutoff) outRows[j].push([k, value])
      }
    }
  }

  const rowStart = new Int32Array(constraintCount + 1)
  let total = 0
  for (let j = 0; j < constraintCount; j++) {
    rowStart[j] = total
    total += outRows[j].length
  }
  rowStart[constraintCount] = total
  const column = new Int32Array(total)
  const value = new Float64Array(total)
  let at = 0
  for (let j = 0; j < constraintCount; j++) {
    for (const [k, v] of outRows[j]) {
      column[at] = k
      value[at] = v
      at++
    }
  }
  return { rowStart, column, value }
}

/** Inverse of the n x n row-major matrix `a` (Gauss-Jordan with partial pivoting). Identity rows where singular. */
export function invertDense (a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a)
  const inv = new Float64Array(n * n)
  for (let i = 0; i < n; i++) inv[i * n + i] = 1
  for (let col = 0; col < n; col++) {
    let pivot = col
    let best = Math.abs(m[col * n + col])
    for (let r = col + 1; r < n; r++) {
      const v = Math.abs(m[r * n + col])
      if (v > best) { best = v; pivot = r }
    }
    if (best === 0) continue
    if (pivot !== col) {
      for (let c = 0; c < n; c++) {
        let t = m[col * n + c]; m[col * n + c] = m[pivot * n + c]; m[pivot * n + c] = t
        t = inv[col * n + c]; inv[col * n + c] = inv[pivot * n + c]; inv[pivot * n + c] = t
      }
    }
    const scale = 1 / m[col * n + col]
    for (let c = 0; c < n; c++) {
      m[col * n + c] *= scale
      inv[col * n + c] *= scale
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue
      const factor = m[r * n + col]
      if (factor === 0) continue
      for (let c = 0; c < n; c++) {
        m[r * n + c] -= factor * m[col * n + c]
        inv[r * n + c] -= factor * inv[col * n + c]
      }
    }
  }
  return inv
}
