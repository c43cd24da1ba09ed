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
  /** r_ij / m_a and r_ij / m_b (3 per constraint), nm/amu: how a correction moves each atom. */
  private readonly moveA: Float64Array
  private readonly moveB: Float64Array
  /** -2 mu r_ij / |r_ij|^2 (3 per constraint), amu/nm: velocity residual = v_ij . this. */
  private readonly velocityWeight: Float64Array
  /** d^2 per constraint, nm^2, and the range (1 -+ tol)^2 d^2 of accepted |r'|^2 for `positionTolerance`. */
  private readonly length2: Float64Array
  private readonly lowerLength2: Float64Array
  private readonly upperLength2: Float64Array
  private positionTolerance = Number.NaN
  /** Residual per constraint of the current iteration. */
  private readonly delta: Float64Array
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
    this.moveA = new Float64Array(3 * this.constraintCount)
    this.moveB = new Float64Array(3 * this.constraintCount)
    this.velocityWeight = new Float64Array(3 * this.constraintCount)
    this.length2 = Float64Array.from(distanceNm, (d) => d * d)
    this.lowerLength2 = new Float64Array(this.constraintCount)
    this.upperLength2 = new Float64Array(this.constraintCount)
    this.delta = new Float64Array(this.constraintCount)
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

  /**
   * Shared CCMA loop: residuals (`delta`, and how many constraints are within
   * tolerance), coupling through the inverted matrix, and the move of the
   * atoms along the reference bond vectors, until all are within tolerance.
   */
  private iterate (reference: Float64Array, target: Float64Array, inverseMasses: Float64Array,
    constrainingVelocities: boolean, tolerance: number): boolean {
    const n = this.constraintCount
    const { atomA, atomB, referenceVector: rij, moveA, moveB, velocityWeight, reducedMass } = this
    for (let c = 0; c < n; c++) {
      const a = 3 * atomA[c]
      const b = 3 * atomB[c]
      const x = reference[a] - reference[b]
      const y = reference[a + 1] - reference[b + 1]
      const z = reference[a + 2] - reference[b + 2]
      const c3 = 3 * c
      rij[c3] = x
      rij[c3 + 1] = y
      rij[c3 + 2] = z
      const invA = inverseMasses[atomA[c]]
      const invB = inverseMasses[atomB[c]]
      moveA[c3] = x * invA; moveA[c3 + 1] = y * invA; moveA[c3 + 2] = z * invA
      moveB[c3] = x * invB; moveB[c3 + 1] = y * invB; moveB[c3 + 2] = z * invB
      if (constrainingVelocities) {
        const weight = -2 * reducedMass[c] / (x * x + y * y + z * z)
        velocityWeight[c3] = x * weight; velocityWeight[c3 + 1] = y * weight; velocityWeight[c3 + 2] = z * weight
      }
    }
    if (!constrainingVelocities) this.setPositionTolerance(tolerance)
    const { rowStart, column, value } = this.matrix
    let iterations = 0
    let converged = false
    while (iterations < CCMA_MAX_ITERATIONS) {
      const delta = this.delta
      const numberConverged = constrainingVelocities
        ? this.velocityResiduals(target, delta, tolerance)
        : this.positionResiduals(target, delta)
      if (numberConverged === n) {
        converged = true
        break
      }
      iterations++
      // each correction couples to the others through the inverted matrix: s_c = sum_k M[c][k] delta[k]
      for (let c = 0; c < n; c++) {
        let s = 0
        for (let e = rowStart[c]; e < rowStart[c + 1]; e++) s += value[e] * delta[column[e]]
        const a = 3 * atomA[c]
        const b = 3 * atomB[c]
        const c3 = 3 * c
        target[a] += moveA[c3] * s
        target[a + 1] += moveA[c3 + 1] * s
        target[a + 2] += moveA[c3 + 2] * s
        target[b] -= moveB[c3] * s
        target[b + 1] -= moveB[c3 + 1] * s
        target[b + 2] -= moveB[c3 + 2] * s
      }
    }
    this.lastIterations = iterations
    return converged
  }

  /** The accepted range of |r'_ij|^2 per constraint for relative `tolerance` (OpenMM's test), kept until the tolerance changes. */
  private setPositionTolerance (tolerance: number): void {
    if (tolerance === this.positionTolerance) return
    const lowerTol = 1 - 2 * tolerance + tolerance * tolerance
    const upperTol = 1 + 2 * tolerance + tolerance * tolerance
    for (let c = 0; c < this.constraintCount; c++) {
      this.lowerLength2[c] = lowerTol * this.length2[c]
      this.upperLength2[c] = upperTol * this.length2[c]
    }
    this.positionTolerance = tolerance
  }

  /** Position residuals: delta = mu (d^2 - |r'|^2) / (r' . r); returns how many constraints are within tolerance. */
  private positionResiduals (target: Float64Array, delta: Float64Array): number {
    const { atomA, atomB, referenceVector: rij, reducedMass, length2, lowerLength2, upperLength2 } = this
    let numberConverged = 0
    for (let c = 0; c < this.constraintCount; c++) {
      const a = 3 * atomA[c]
      const b = 3 * atomB[c]
      const px = target[a] - target[b]
      const py = target[a + 1] - target[b + 1]
      const pz = target[a + 2] - target[b + 2]
      const rrpr = px * rij[3 * c] + py * rij[3 * c + 1] + pz * rij[3 * c + 2]
      const rp2 = px * px + py * py + pz * pz
      delta[c] = reducedMass[c] * (length2[c] - rp2) / rrpr
      if (rp2 >= lowerLength2[c] && rp2 <= upperLength2[c]) numberConverged++
    }
    return numberConverged
  }

  /** Velocity residuals: delta = -2 mu (v_ij . r_ij) / r_ij^2; returns how many have |delta| <= tolerance. */
  private velocityResiduals (target: Float64Array, delta: Float64Array, tolerance: number): number {
    const { atomA, atomB, velocityWeight: w } = this
    let numberConverged = 0
    for (let c = 0; c < this.constraintCount; c++) {
      const a = 3 * atomA[c]
      const b = 3 * atomB[c]
      const c3 = 3 * c
      const residual = (target[a] - target[b]) * w[c3] + (target[a + 1] - target[b + 1]) * w[c3 + 1] +
        (target[a + 2] - target[b + 2]) * w[c3 + 2]
      delta[c] = residual
      if (Math.abs(residual) <= tolerance) numberConverged++
    }
    return numberConverged
  }
}
