/**
 * HarmonicAngleForce, as OpenMM 7.7's ReferenceAngleBondIxn:
 * E = k/2 (theta - theta0)^2 with theta the angle p1-p2-p3 (p2 the vertex),
 * minimum image when the force uses periodic boundary conditions.
 */
import type { BoxVectors, HarmonicAngleForce } from '../system.ts'
import type { ForceKernel } from './kernel.ts'
import { displacementInto } from './periodic.ts'

/** OpenMM clamps |p1-p2 x p3-p2| to this (nm^2) for collinear atoms. */
const MIN_CROSS_NORM = 1.0e-6

export class HarmonicAngleKernel implements ForceKernel {
  readonly forceType = 'HarmonicAngleForce'
  private readonly force: HarmonicAngleForce
  /** Scratch for the periodic minimum image: p1->vertex at [0..2], p3->vertex at [3..5], nm. */
  private readonly delta = new Float64Array(6)

  constructor (force: HarmonicAngleForce) {
    this.force = force
  }

  compute (positionsNm: Float64Array, box: BoxVectors | null, forcesOut: Float64Array,
    energyByGroup: Float64Array, groupsMask: number): void {
    const force = this.force
    if ((groupsMask & (1 << force.forceGroup)) === 0) return
    const { p1, p2, p3, angleRad, k } = force
    const periodicBox = force.usesPeriodicBoundaryConditions ? box : null
    const d = this.delta
    let energy = 0
    for (let n = 0; n < p1.length; n++) {
      const a = 3 * p1[n]
      const b = 3 * p2[n]
      const c = 3 * p3[n]
      // OpenMM: deltaR[0] = B - A (u), deltaR[1] = B - C (v)
      const r2ab = displacementInto(positionsNm, a, b, periodicBox, d, 0)
      const r2cb = displacementInto(positionsNm, c, b, periodicBox, d, 3)
      const ux = d[0]; const uy = d[1]; const uz = d[2]; const vx = d[3]; const vy = d[4]; const vz = d[5]
      // p = u x v
      const px = uy * vz - uz * vy
      const py = uz * vx - ux * vz
      const pz = ux * vy - uy * vx
      let rp = Math.sqrt(px * px + py * py + pz * pz)
      if (rp < MIN_CROSS_NORM) rp = MIN_CROSS_NORM
      const cosine = (ux * vx + uy * vy + uz * vz) / Math.sqrt(r2ab * r2cb)
      const theta = cosine >= 1 ? 0 : cosine <= -1 ? Math.PI : Math.acos(cosine)
      const deviation = theta - angleRad[n]
      const dEdTheta = k[n] * deviation
      energy += 0.5 * k[n] * deviation * deviation
      const termA = dEdTheta / (r2ab * rp)
      const termC = -dEdTheta / (r2cb * rp)
      // force on A = termA (u x p), on C = termC (v x p), on B = -(A + C)
      const fax = termA * (uy * pz - uz * py)
      const fay = termA * (uz * px - ux * pz)
      const faz = termA * (ux * py - uy * px)
      const fcx = termC * (vy * pz - vz * py)
      const fcy = termC * (vz * px - vx * pz)
      const fcz = termC * (vx * py - vy * px)
      forcesOut[a] += fax; forcesOut[a + 1] += fay; forcesOut[a + 2] += faz
      forcesOut[c] += fcx; forcesOut[c + 1] += fcy; forcesOut[c + 2] += fcz
      forcesOut[b] -= fax + fcx; forcesOut[b + 1] -= fay + fcy; forcesOut[b + 2] -= faz + fcz
    }
    energyByGroup[force.forceGroup] += energy
  }
}
