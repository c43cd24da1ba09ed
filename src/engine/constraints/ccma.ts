/**
 * CCMA constraint solver, a port of OpenMM 7.7's ReferenceCCMAAlgorithm.
 *
 * Positions: given reference positions r (which satisfy the constraints) and
 * unconstrained new positions r', moves r' along the reference bond vectors
 * until every |r'_i - r'_j| is within relative `tolerance` of its length
 * (OpenMM's test: (1-tol)^2 d^2 <= |r'_ij|^2 <= (1+tol)^2 d^2).
 * Velocities: removes the component of each relative velocity along its
 * constraint until |2 mu (v_ij . r_ij) / r_ij^2| <= tolerance.
 * At most 150 iterations, as OpenMM; `apply*` return false when that was not
 * enough.
 */
import { buildCcmaMatrix, type AngleTerm, type SparseMatrix } from './ccma-coupling-matrix.ts'

export const CCMA_MAX_ITERATIONS = 150

export class CcmaSolver {
  readonly constraintCount: number
  private readonly atomA: Int32Array
  private readonly atomB: Int32Array
  private readonly distanceNm: Float64Array
  private readonly matrix: SparseMatrix
  /** 0.5 / (1/m_a + 1/m_b) per constraint, amu. */
  private readonly reducedMass: Float64Array
  /** Reference bond vectors r_ij (3 per constraint), nm. */
  private readonly referenceVector: Float64Array
  /** |r_ij|^2, nm^2. */
  private readonly referenceLength2: Float64Array
  private delta: Float64Array
  private deltaScratch: Float64Array
  /** Iterations used by the last call. */
  lastIterations = 0

  constructor (particleCount: number, atomA: Int32Array, atomB: Int32Array, distanceNm: Float64Array,
    masses: Float64Array, angles: readonly AngleTerm[]) {
    this.constraintCount = atomA.length
    this.atomA = atomA
    this.atomB = atomB
    this.distanceNm = distanceNm
    this.matrix = buildCcmaMatrix(particleCount, atomA, atomB, distanceNm, masses, angles)
    this.reducedMass = new Float64Array(this.constraintCount)
    for (let c = 0; c < this.constraintCount; c++) {
      const invA = masses[atomA[c]] === 0 ? 0 : 1 / masses[atomA[c]]
      const invB = masses[atomB[c]] === 0 ? 0 : 1 / masses[atomB[c]]
      this.reducedMass[c] = 0.5 / (invA + invB)
    }
    this.referenceVector = new Float64Array(3 * this.constraintCount)
    this.referenceLength2 = new Float64Array(this.constraintCount)
    this.delta = new Float64Array(this.constraintCount)
    this.deltaScratch = new Float64Array(this.constraintCount)
  }

  /** Constrains `targetNm` (3N, edited in place) using bond directions of `referenceNm`. May alias. */
  apply (referenceNm: Float64Array, targetNm: Float64Array, inverseMasses: Float64Array, tolerance: number): boolean {
    return this.iterate(referenceNm, targetNm, inverseMasses, false, tolerance)
  }

  /** Removes constrained components from `velocities` (3N, in place) at positions `positionsNm`. */
  applyToVelocities (positionsNm: Float64Array, velocities: Float64Array, inverseMasses: Float64Array, tolerance: number): boolean {
    return this.iterate(positionsNm, velocities, inverseMasses, true, tolerance)
  }

  /** The constraint furthest from its length in `positionsNm`: index and |r/d - 1| (NaN when positions are not finite). */
  worstViolation (positionsNm: Float64Array): { constraint: number, atomA: number, atomB: number, relativeError: number } {
    let worst = 0
    let worstIndex = -1
    for (let c = 0; c < this.constraintCount; c++) {
      const a = 3 * this.atomA[c]
      const b = 3 * this.atomB[c]
      const r = Math.hypot(positionsNm[a] - positionsNm[b], positionsNm[a + 1] - positionsNm[b + 1], positionsNm[a + 2] - positionsNm[b + 2])
      const error = Math.abs(r / this.distanceNm[c] - 1)
      if (!(error <= worst)) {
        worst = error
        worstIndex = c
        if (Number.isNaN(error)) break
      }
    }
    return {
      constraint: worstIndex,
      atomA: worstIndex < 0 ? -1 : this.atomA[worstIndex],
      atomB: worstIndex < 0 ? -1 : this.atomB[worstIndex],
      relativeError: worst,
    }
  }

  private iterate (reference: Float64Array, target: Float64Array, inverseMasses: Float64Array,
    constrainingVelocities: boolean, tolerance: number): boolean {
    const n = this.constraintCount
    const { atomA, atomB, referenceVector: rij, referenceLength2: d2, reducedMass, distanceNm } = this
    for (let c = 0; c < n; c++) {
      const a = 3 * atomA[c]
      const b = 3 * atomB[c]
      const x = reference[a] - reference[b]
      const y = reference[a + 1] - reference[b + 1]
      const z = reference[a + 2] - reference[b + 2]
      rij[3 * c] = x
      rij[3 * c + 1] = y
      rij[3 * c + 2] = z
      d2[c] = x * x + y * y + z * z
    }
    const lowerTol = 1 - 2 * tolerance + tolerance * tolerance
    const upperTol = 1 + 2 * tolerance + tolerance * tolerance
    const { rowStart, column, value } = this.matrix
    let iterations = 0
    let converged = false
    while (iterations < CCMA_MAX_ITERATIONS) {
      let numberConverged = 0
      const delta = this.delta
      for (let c = 0; c < n; c++) {
        const a = 3 * atomA[c]
        const b = 3 * atomB[c]
        const px = target[a] - target[b]
        const py = target[a + 1] - target[b + 1]
        const pz = target[a + 2] - target[b + 2]
        const rrpr = px * rij[3 * c] + py * rij[3 * c + 1] + pz * rij[3 * c + 2]
        if (constrainingVelocities) {
          delta[c] = -2 * reducedMass[c] * rrpr / d2[c]
          if (Math.abs(delta[c]) <= tolerance) numberConverged++
        } else {
          const rp2 = px * px + py * py + pz * pz
          const dist2 = distanceNm[c] * distanceNm[c]
          delta[c] = reducedMass[c] * (dist2 - rp2) / rrpr
          if (rp2 >= lowerTol * dist2 && rp2 <= upperTol * dist2) numberConverged++
        }
      }
      if (numberConverged === n) {
        converged = true
        break
      }
      iterations++
      const coupled = this.deltaScratch
      for (let c = 0; c < n; c++) {
        let sum = 0
        for (let e = rowStart[c]; e < rowStart[c + 1]; e++) sum += value[e] * delta[column[e]]
        coupled[c] = sum
      }
      this.deltaScratch = delta
      this.delta = coupled
      for (let c = 0; c < n; c++) {
        const a = 3 * atomA[c]
        const b = 3 * atomB[c]
        const s = coupled[c]
        const invA = inverseMasses[atomA[c]]
        const invB = inverseMasses[atomB[c]]
        const dx = rij[3 * c] * s
        const dy = rij[3 * c + 1] * s
        const dz = rij[3 * c + 2] * s
        target[a] += dx * invA
        target[a + 1] += dy * invA
        target[a + 2] += dz * invA
        target[b] -= dx * invB
        target[b + 1] -= dy * invB
        target[b + 2] -= dz * invB
      }
    }
    this.lastIterations = iterations
    return converged
  }
}
