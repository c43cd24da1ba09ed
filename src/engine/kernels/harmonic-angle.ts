/**
 * HarmonicAngleForce, as OpenMM 7.7's ReferenceAngleBondIxn:
 * E = k/2 (theta - theta0)^2 with theta the angle p1-p2-p3 (p2 the vertex),
 * minimum image when the force uses periodic boundary conditions.
 */
import type { BoxVectors, HarmonicAngleForce } from '../system.ts'
import type { ForceKernel } from './kernel.ts'
import { minimumImageInPlace } from './periodic.ts'

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
      let ux = positionsNm[b] - positionsNm[a]
      let uy = positionsNm[b + 1] - positionsNm[a + 1]
      let uz = positionsNm[b + 2] - positionsNm[a + 2]
      let vx = positionsNm[b] - positionsNm[c]
      let vy = positionsNm[b + 1] - positionsNm[c + 1]
      let vz = positionsNm[b + 2] - positionsNm[c + 2]
      if (periodicBox !== null) {
        d[0] = ux; d[1] = uy; d[2] = uz; d[3] = vx; d[4] = vy; d[5] = vz
        minimumImageInPlace(d, 0, periodicBox)
        minimumImageInPlace(d, 3, periodicBox)
        ux = d[0]; uy = d[1]; uz = d[2]; vx = d[3]; vy = d[4]; vz = d[5]
      }
      const r2ab = ux * ux + uy * uy + uz * uz
      const r2cb = vx * vx + vy * vy + vz * vz
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
