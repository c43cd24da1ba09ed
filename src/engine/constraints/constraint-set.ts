/**
 * All distance constraints of a System, split as OpenMM 7.7's
 * ReferenceConstraints splits them:
 *
 * - constraints between two zero-mass particles are ignored;
 * - SETTLE takes every closed triangle of three atoms, each in exactly two
 *   constraints, with two equal lengths (compared in single precision, as
 *   OpenMM does); the atom joining the equal sides is the central one;
 * - CCMA takes every other constraint (coupling from triangle lengths or
 *   HarmonicAngleForce equilibrium angles).
 *
 * `apply` runs CCMA then SETTLE, as OpenMM does.
 */
import type { System } from '../system.ts'
import { harmonicAngles } from './ccma-coupling-matrix.ts'
import { CcmaSolver } from './ccma.ts'
import { SettleSolver, type SettleClusters } from './settle.ts'

export class ConstraintSet {
  readonly ccma: CcmaSolver | null
  readonly settle: SettleSolver | null
  /** Constraints that take part (not between two zero-mass particles). */
  readonly activeConstraintCount: number

  constructor (system: System) {
    const n = system.particleCount
    const masses = system.masses
    const { p1, p2, distanceNm } = system.constraints
    const atom1: number[] = []
    const atom2: number[] = []
    const distance: number[] = []
    const constraintCount = new Int32Array(n)
    for (let i = 0; i < p1.length; i++) {
      if (masses[p1[i]] !== 0 || masses[p2[i]] !== 0) {
        atom1.push(p1[i])
        atom2.push(p2[i])
        distance.push(distanceNm[i])
        constraintCount[p1[i]]++
        constraintCount[p2[i]]++
      }
    }
    this.activeConstraintCount = atom1.length

    // Candidate SETTLE partners per atom, keyed by partner index (kept sorted as OpenMM's std::map).
    const partners: Array<Map<number, number> | null> = new Array(n).fill(null)
    const partnerMap = (atom: number): Map<number, number> => {
      let m = partners[atom]
      if (m === null) { m = new Map(); partners[atom] = m }
      return m
    }
    for (let i = 0; i < atom1.length; i++) {
      if (constraintCount[atom1[i]] === 2 && constraintCount[atom2[i]] === 2) {
        const singlePrecision = Math.fround(distance[i])
        partnerMap(atom1[i]).set(atom2[i], singlePrecision)
        partnerMap(atom2[i]).set(atom1[i], singlePrecision)
      }
    }
    const sortedPartners = (atom: number): number[] => [...(partners[atom]?.keys() ?? [])].sort((a, b) => a - b)
    const clusterFirstAtoms: number[] = []
    const valid = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      if (partners[i]?.size === 2) {
        const [q1, q2] = sortedPartners(i)
        if (partners[q1]?.size === 2 && partners[q2]?.size === 2 && partners[q1]!.has(q2)) valid[i] = 1
      }
    }
    for (let i = 0; i < n; i++) {
      if (valid[i] !== 1) continue
      const [q1, q2] = sortedPartners(i)
      if (i < q1 && i < q2) clusterFirstAtoms.push(i)
    }

    const isSettleAtom = new Uint8Array(n)
    const c1: number[] = []
    const c2: number[] = []
    const c3: number[] = []
    const d1: number[] = []
    const d2: number[] = []
    for (const p1Atom of clusterFirstAtoms) {
      const [p2Atom, p3Atom] = sortedPartners(p1Atom)
      const dist12 = partners[p1Atom]!.get(p2Atom)!
      const dist13 = partners[p1Atom]!.get(p3Atom)!
      const dist23 = partners[p2Atom]!.get(p3Atom)!
      if (dist12 === dist13) {
        c1.push(p1Atom); c2.push(p2Atom); c3.push(p3Atom); d1.push(dist12); d2.push(dist23)
      } else if (dist12 === dist23) {
        c1.push(p2Atom); c2.push(p1Atom); c3.push(p3Atom); d1.push(dist12); d2.push(dist13)
      } else if (dist13 === dist23) {
        c1.push(p3Atom); c2.push(p1Atom); c3.push(p2Atom); d1.push(dist13); d2.push(dist12)
      } else {
        continue
      }
      isSettleAtom[p1Atom] = 1
      isSettleAtom[p2Atom] = 1
      isSettleAtom[p3Atom] = 1
    }
    if (c1.length > 0) {
      const clusters: SettleClusters = {
        atom1: Int32Array.from(c1),
        atom2: Int32Array.from(c2),
        atom3: Int32Array.from(c3),
        distance1: Float64Array.from(d1),
        distance2: Float64Array.from(d2),
      }
      this.settle = new SettleSolver(clusters, masses)
    } else {
      this.settle = null
    }

    const ccmaA: number[] = []
    const ccmaB: number[] = []
    const ccmaDistance: number[] = []
    for (let i = 0; i < atom1.length; i++) {
      if (isSettleAtom[atom1[i]] === 1) continue
      ccmaA.push(atom1[i])
      ccmaB.push(atom2[i])
      ccmaDistance.push(distance[i])
    }
    this.ccma = ccmaA.length > 0
      ? new CcmaSolver(n, Int32Array.from(ccmaA), Int32Array.from(ccmaB), Float64Array.from(ccmaDistance), masses, harmonicAngles(system))
      : null
  }

  get isEmpty (): boolean {
    return this.ccma === null && this.settle === null
  }

  /**
   * Constrains `targetNm` (3N, in place) starting from `referenceNm`, which
   * satisfies the constraints; the two may be the same array. `tolerance` is
   * relative. Returns false when CCMA did not converge in its iteration limit.
   */
  apply (referenceNm: Float64Array, targetNm: Float64Array, inverseMasses: Float64Array, tolerance: number): boolean {
    let converged = true
    if (this.ccma !== null) converged = this.ccma.apply(referenceNm, targetNm, inverseMasses, tolerance)
    if (this.settle !== null) this.settle.apply(referenceNm, targetNm)
    return converged
  }

  /** Removes constrained velocity components (in place). Returns false when CCMA did not converge. */
  applyToVelocities (positionsNm: Float64Array, velocities: Float64Array, inverseMasses: Float64Array, tolerance: number): boolean {
    let converged = true
    if (this.ccma !== null) converged = this.ccma.applyToVelocities(positionsNm, velocities, inverseMasses, tolerance)
    if (this.settle !== null) this.settle.applyToVelocities(positionsNm, velocities, inverseMasses)
    return converged
  }
}
