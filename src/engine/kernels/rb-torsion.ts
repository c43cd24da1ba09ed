/**
 * RBTorsionForce, as OpenMM 7.7's ReferenceRbDihedralBond:
 * E = sum_{n=0..5} c_n cos^n(psi) with psi = phi - 180 deg (polymer convention).
 */
import type { BoxVectors, RBTorsionForce } from '../system.ts'
import { DihedralGeometry } from './dihedral-geometry.ts'
import type { ForceKernel } from './kernel.ts'

export class RBTorsionKernel implements ForceKernel {
  readonly forceType = 'RBTorsionForce'
  private readonly force: RBTorsionForce
  private readonly geometry = new DihedralGeometry()

  constructor (force: RBTorsionForce) {
    this.force = force
  }

  compute (positionsNm: Float64Array, box: BoxVectors | null, forcesOut: Float64Array,
    energyByGroup: Float64Array, groupsMask: number): void {
    const force = this.force
    if ((groupsMask & (1 << force.forceGroup)) === 0) return
    const { p1, p2, p3, p4, c } = force
    const periodicBox = force.usesPeriodicBoundaryConditions ? box : null
    const geometry = this.geometry
    let energy = 0
    for (let n = 0; n < p1.length; n++) {
      geometry.measure(positionsNm, p1[n], p2[n], p3[n], p4[n], periodicBox)
      // psi = phi -+ 180 deg: cos(psi) = -cos(phi), sin(psi) = -sin(phi)
      const cosPsi = -geometry.cosPhi
      const sinPsi = -geometry.sinPhi
      const base = 6 * n
      // E = c0 + sum c_i cos^i(psi); dE/dpsi = -sin(psi) sum i c_i cos^(i-1)(psi)
      let termEnergy = c[base]
      let dEdCos = 0
      let cosPower = 1
      for (let i = 1; i < 6; i++) {
        dEdCos += i * c[base + i] * cosPower
        cosPower *= cosPsi
        termEnergy += c[base + i] * cosPower
      }
      energy += termEnergy
      geometry.applyForces(-dEdCos * sinPsi, forcesOut, p1[n], p2[n], p3[n], p4[n])
    }
    energyByGroup[force.forceGroup] += energy
  }
}
