/**
 * HarmonicBondForce, as OpenMM 7.7's ReferenceHarmonicBondIxn:
 * E = k/2 (r - r0)^2 per bond, minimum image when the force uses periodic
 * boundary conditions.
 */
import type { BoxVectors, HarmonicBondForce } from '../system.ts'
import type { ForceKernel } from './kernel.ts'
import { displacementInto } from './periodic.ts'

export class HarmonicBondKernel implements ForceKernel {
  readonly forceType = 'HarmonicBondForce'
  private readonly force: HarmonicBondForce
  /** Scratch for the periodic minimum image, nm. */
  private readonly delta = new Float64Array(3)

  constructor (force: HarmonicBondForce) {
    this.force = force
  }

  compute (positionsNm: Float64Array, box: BoxVectors | null, forcesOut: Float64Array,
    energyByGroup: Float64Array, groupsMask: number): void {
    const force = this.force
    if ((groupsMask & (1 << force.forceGroup)) === 0) return
    const { p1, p2, lengthNm, k } = force
    const periodicBox = force.usesPeriodicBoundaryConditions ? box : null
    const delta = this.delta
    let energy = 0
    for (let n = 0; n < p1.length; n++) {
      const a = 3 * p1[n]
      const b = 3 * p2[n]
      const r2 = displacementInto(positionsNm, a, b, periodicBox, delta, 0)
      const dx = delta[0]; const dy = delta[1]; const dz = delta[2]
      const r = Math.sqrt(r2)
      const stretch = r - lengthNm[n]
      energy += 0.5 * k[n] * stretch * stretch
      const dEdROverR = r > 0 ? k[n] * stretch / r : 0
      const fx = dEdROverR * dx
      const fy = dEdROverR * dy
      const fz = dEdROverR * dz
      forcesOut[a] += fx; forcesOut[a + 1] += fy; forcesOut[a + 2] += fz
      forcesOut[b] -= fx; forcesOut[b + 1] -= fy; forcesOut[b + 2] -= fz
    }
    energyByGroup[force.forceGroup] += energy
  }
}
