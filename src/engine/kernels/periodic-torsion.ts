/**
 * PeriodicTorsionForce, as OpenMM 7.7's ReferenceProperDihedralBond:
 * E = k (1 + cos(n phi - phase)).
 *
 * Terms on the same four atoms (force fields give up to 6 periodicities per
 * dihedral) share one measurement of phi; cos(n phi) and sin(n phi) come
 * from cos(phi) and sin(phi) by the angle-addition recurrence, so no
 * trigonometric call is made per step.
 */
import type { BoxVectors, PeriodicTorsionForce } from '../system.ts'
import { DihedralGeometry } from './dihedral-geometry.ts'
import type { ForceKernel } from './kernel.ts'

export class PeriodicTorsionKernel implements ForceKernel {
  readonly forceType = 'PeriodicTorsionForce'
  private readonly force: PeriodicTorsionForce
  private readonly geometry = new DihedralGeometry()
  /** Atoms of each group of terms sharing one atom quadruple A-B-C-D. */
  private readonly groupAtomA: Int32Array
  private readonly groupAtomB: Int32Array
  private readonly groupAtomC: Int32Array
  private readonly groupAtomD: Int32Array
  /** Group g holds the terms in slots groupStart[g] .. groupStart[g+1]. */
  private readonly groupStart: Int32Array
  /** Per slot (terms in group order): |n|, n, k (kJ/mol), cos(phase), sin(phase). */
  private readonly absPeriodicity: Int32Array
  private readonly periodicity: Float64Array
  private readonly barrier: Float64Array
  private readonly cosPhase: Float64Array
  private readonly sinPhase: Float64Array

  constructor (force: PeriodicTorsionForce) {
    this.force = force
    const count = force.p1.length
    const groups = new Map<string, number[]>()
    for (let n = 0; n < count; n++) {
      const key = `${force.p1[n]},${force.p2[n]},${force.p3[n]},${force.p4[n]}`
      const members = groups.get(key)
      if (members === undefined) groups.set(key, [n])
      else members.push(n)
    }
    this.groupStart = new Int32Array(groups.size + 1)
    this.groupAtomA = new Int32Array(groups.size)
    this.groupAtomB = new Int32Array(groups.size)
    this.groupAtomC = new Int32Array(groups.size)
    this.groupAtomD = new Int32Array(groups.size)
    this.absPeriodicity = new Int32Array(count)
    this.periodicity = new Float64Array(count)
    this.barrier = new Float64Array(count)
    this.cosPhase = new Float64Array(count)
    this.sinPhase = new Float64Array(count)
    let slot = 0
    let group = 0
    for (const members of groups.values()) {
      const first = members[0]
      this.groupAtomA[group] = force.p1[first]
      this.groupAtomB[group] = force.p2[first]
      this.groupAtomC[group] = force.p3[first]
      this.groupAtomD[group] = force.p4[first]
      this.groupStart[group++] = slot
      for (const n of members) {
        this.absPeriodicity[slot] = Math.abs(force.periodicity[n])
        this.periodicity[slot] = force.periodicity[n]
        this.barrier[slot] = force.k[n]
        this.cosPhase[slot] = Math.cos(force.phaseRad[n])
        this.sinPhase[slot] = Math.sin(force.phaseRad[n])
        slot++
      }
    }
    this.groupStart[group] = slot
  }

  compute (positionsNm: Float64Array, box: BoxVectors | null, forcesOut: Float64Array,
    energyByGroup: Float64Array, groupsMask: number): void {
    const force = this.force
    if ((groupsMask & (1 << force.forceGroup)) === 0) return
    const periodicBox = force.usesPeriodicBoundaryConditions ? box : null
    const geometry = this.geometry
    const { groupStart, groupAtomA, groupAtomB, groupAtomC, groupAtomD, absPeriodicity, periodicity, barrier, cosPhase, sinPhase } = this
    const groupCount = groupAtomA.length
    let energy = 0
    for (let g = 0; g < groupCount; g++) {
      const atomA = groupAtomA[g]; const atomB = groupAtomB[g]; const atomC = groupAtomC[g]; const atomD = groupAtomD[g]
      geometry.measure(positionsNm, atomA, atomB, atomC, atomD, periodicBox)
      const cosPhi = geometry.cosPhi
      const sinPhi = geometry.sinPhi
      let dEdPhi = 0
      for (let slot = groupStart[g]; slot < groupStart[g + 1]; slot++) {
        // cos(m phi), sin(m phi) for m = |n|
        let cosN = 1
        let sinN = 0
        for (let m = absPeriodicity[slot]; m > 0; m--) {
          const nextCos = cosN * cosPhi - sinN * sinPhi
          sinN = sinN * cosPhi + cosN * sinPhi
          cosN = nextCos
        }
        const n = periodicity[slot]
        if (n < 0) sinN = -sinN
        // cos(n phi - phase), sin(n phi - phase)
        const cosArgument = cosN * cosPhase[slot] + sinN * sinPhase[slot]
        const sinArgument = sinN * cosPhase[slot] - cosN * sinPhase[slot]
        const k = barrier[slot]
        energy += k * (1 + cosArgument)
        dEdPhi -= k * n * sinArgument
      }
      geometry.applyForces(dEdPhi, forcesOut, atomA, atomB, atomC, atomD)
    }
    energyByGroup[force.forceGroup] += energy
  }
}
