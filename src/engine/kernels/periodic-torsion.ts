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
  /** Terms grouped by atom quadruple: group g holds terms order[groupStart[g] .. groupStart[g+1]). */
  private readonly groupStart: Int32Array
  private readonly order: Int32Array
  /** Per term: |n|, sign of n, cos(phase), sin(phase). */
  private readonly absPeriodicity: Int32Array
  private readonly periodicitySign: Float64Array
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
    this.order = new Int32Array(count)
    let slot = 0
    let group = 0
    for (const members of groups.values()) {
      this.groupStart[group++] = slot
      for (const n of members) this.order[slot++] = n
    }
    this.groupStart[group] = slot
    this.absPeriodicity = Int32Array.from(force.periodicity, (n) => Math.abs(n))
    this.periodicitySign = Float64Array.from(force.periodicity, (n) => n < 0 ? -1 : 1)
    this.cosPhase = Float64Array.from(force.phaseRad, Math.cos)
    this.sinPhase = Float64Array.from(force.phaseRad, Math.sin)
  }

  compute (positionsNm: Float64Array, box: BoxVectors | null, forcesOut: Float64Array,
    energyByGroup: Float64Array, groupsMask: number): void {
    const force = this.force
    if ((groupsMask & (1 << force.forceGroup)) === 0) return
    const { p1, p2, p3, p4, k } = force
    const periodicBox = force.usesPeriodicBoundaryConditions ? box : null
    const geometry = this.geometry
    const { groupStart, order, absPeriodicity, periodicitySign, cosPhase, sinPhase } = this
    let energy = 0
    for (let g = 0; g + 1 < groupStart.length; g++) {
      const first = order[groupStart[g]]
      geometry.measure(positionsNm, p1[first], p2[first], p3[first], p4[first], periodicBox)
      const cosPhi = geometry.cosPhi
      const sinPhi = geometry.sinPhi
      let dEdPhi = 0
      for (let slot = groupStart[g]; slot < groupStart[g + 1]; slot++) {
        const n = order[slot]
        // cos(m phi), sin(m phi) for m = |n|
        let cosN = 1
        let sinN = 0
        for (let m = 0; m < absPeriodicity[n]; m++) {
          const nextCos = cosN * cosPhi - sinN * sinPhi
          sinN = sinN * cosPhi + cosN * sinPhi
          cosN = nextCos
        }
        sinN *= periodicitySign[n]
        // cos(n phi - phase), sin(n phi - phase)
        const cosArgument = cosN * cosPhase[n] + sinN * sinPhase[n]
        const sinArgument = sinN * cosPhase[n] - cosN * sinPhase[n]
        energy += k[n] * (1 + cosArgument)
        dEdPhi -= k[n] * force.periodicity[n] * sinArgument
      }
      geometry.applyForces(dEdPhi, forcesOut, p1[first], p2[first], p3[first], p4[first])
    }
    energyByGroup[force.forceGroup] += energy
  }
}
