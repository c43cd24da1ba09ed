/**
 * PeriodicTorsionForce, as OpenMM 7.7's ReferenceProperDihedralBond:
 * E = k (1 + cos(n phi - phase)).
 */
import type { BoxVectors, PeriodicTorsionForce } from '../system.ts'
import { DihedralGeometry } from './dihedral-geometry.ts'
import type { ForceKernel } from './kernel.ts'

export class PeriodicTorsionKernel implements ForceKernel {
  readonly forceType = 'PeriodicTorsionForce'
  private readonly force: PeriodicTorsionForce
  private readonly geometry = new DihedralGeometry()

  constructor (force: PeriodicTorsionForce) {
    this.force = force
  }

  compute (positionsNm: Float64Array, box: BoxVectors | null, forcesOut: Float64Array,
    energyByGroup: Float64Array, groupsMask: number): void {
    const force = this.force
    if ((groupsMask & (1 << force.forceGroup)) === 0) return
    const { p1, p2, p3, p4, periodicity, phaseRad, k } = force
    const periodicBox = force.usesPeriodicBoundaryConditions ? box : null
    const geometry = this.geometry
    let energy = 0
    for (let n = 0; n < p1.length; n++) {
      const phi = geometry.measure(positionsNm, p1[n], p2[n], p3[n], p4[n], periodicBox)
      const argument = periodicity[n] * phi - phaseRad[n]
      energy += k[n] * (1 + Math.cos(argument))
      const dEdPhi = -k[n] * periodicity[n] * Math.sin(argument)
      geometry.applyForces(dEdPhi, forcesOut, p1[n], p2[n], p3[n], p4[n])
    }
    energyByGroup[force.forceGroup] += energy
  }
}
