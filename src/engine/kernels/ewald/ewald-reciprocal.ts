/**
 * Reciprocal-space part of plain Ewald summation, exactly as OpenMM 7.7's
 * Reference platform (ReferenceLJCoulombIxn::calculateEwaldIxn): rectangular
 * boxes only (OpenMM refuses Ewald with a triclinic box), k vectors
 * (kx, ky, kz) = 2 pi (rx/ax, ry/by, rz/cz) over the half space
 * rx in [0, kmaxX), ry in (-kmaxY, kmaxY), rz in (-kmaxZ, kmaxZ) that OpenMM
 * visits, each standing for itself and its negative:
 *
 *   E = sum_k (4 pi ONE_4PI_EPS0 / V) exp(-k^2 / (4 alpha^2)) / k^2 |S(k)|^2,
 *   S(k) = sum_j q_j exp(i k.r_j).
 *
 * Charges in e, positions nm, energy kJ/mol, forces kJ/mol/nm.
 */
import { InvalidBoxError } from '../../errors.ts'
import type { BoxVectors } from '../../system.ts'
import { ONE_4PI_EPS0 } from '../constants.ts'

export class EwaldReciprocal {
  readonly kmaxX: number
  readonly kmaxY: number
  readonly kmaxZ: number
  readonly alphaPerNm: number
  readonly particleCount: number
  /** cos/sin(r k_axis x) per atom for r = 0 .. kmax-1, index (r * N + atom). */
  private readonly cosX: Float64Array
  private readonly sinX: Float64Array
  private readonly cosY: Float64Array
  private readonly sinY: Float64Array
  private readonly cosZ: Float64Array
  private readonly sinZ: Float64Array
  /** Per atom: q exp(i (kx x + ky y)) and q exp(i k.r). */
  private readonly xyRe: Float64Array
  private readonly xyIm: Float64Array
  private readonly termRe: Float64Array
  private readonly termIm: Float64Array

  constructor (particleCount: number, kmaxX: number, kmaxY: number, kmaxZ: number, alphaPerNm: number) {
    this.particleCount = particleCount
    this.kmaxX = kmaxX
    this.kmaxY = kmaxY
    this.kmaxZ = kmaxZ
    this.alphaPerNm = alphaPerNm
    this.cosX = new Float64Array(kmaxX * particleCount)
    this.sinX = new Float64Array(kmaxX * particleCount)
    this.cosY = new Float64Array(kmaxY * particleCount)
    this.sinY = new Float64Array(kmaxY * particleCount)
    this.cosZ = new Float64Array(kmaxZ * particleCount)
    this.sinZ = new Float64Array(kmaxZ * particleCount)
    this.xyRe = new Float64Array(particleCount)
    this.xyIm = new Float64Array(particleCount)
    this.termRe = new Float64Array(particleCount)
    this.termIm = new Float64Array(particleCount)
  }

  /** Adds forces into `forcesOut`, returns the reciprocal energy (kJ/mol). */
  compute (positionsNm: Float64Array, charges: Float64Array, box: BoxVectors, forcesOut: Float64Array): number {
    if (box[3] !== 0 || box[6] !== 0 || box[7] !== 0) {
      throw new InvalidBoxError('Ewald summation needs a rectangular box (as in OpenMM); use PME for triclinic boxes.')
    }
    const n = this.particleCount
    const volume = box[0] * box[4] * box[8]
    const recipCoeff = ONE_4PI_EPS0 * 4 * Math.PI / volume
    const factorEwald = -1 / (4 * this.alphaPerNm * this.alphaPerNm)
    const unitX = 2 * Math.PI / box[0]; const unitY = 2 * Math.PI / box[4]; const unitZ = 2 * Math.PI / box[8]
    fillPowers(positionsNm, 0, unitX, this.kmaxX, n, this.cosX, this.sinX)
    fillPowers(positionsNm, 1, unitY, this.kmaxY, n, this.cosY, this.sinY)
    fillPowers(positionsNm, 2, unitZ, this.kmaxZ, n, this.cosZ, this.sinZ)
    const { cosX, sinX, cosY, sinY, cosZ, sinZ, xyRe, xyIm, termRe, termIm } = this
    let energy = 0
    let lowY = 0
    let lowZ = 1
    for (let rx = 0; rx < this.kmaxX; rx++) {
      const kx = rx * unitX
      for (let ry = lowY; ry < this.kmaxY; ry++) {
        const ky = ry * unitY
        const ay = Math.abs(ry)
        const signY = ry >= 0 ? 1 : -1
        for (let j = 0; j < n; j++) {
          const cx = cosX[rx * n + j]; const sx = sinX[rx * n + j]
          const cy = cosY[ay * n + j]; const sy = signY * sinY[ay * n + j]
          xyRe[j] = cx * cy - sx * sy
          xyIm[j] = cx * sy + sx * cy
        }
        for (let rz = lowZ; rz < this.kmaxZ; rz++) {
          const az = Math.abs(rz)
          const signZ = rz >= 0 ? 1 : -1
          let cs = 0; let ss = 0
          for (let j = 0; j < n; j++) {
            const cz = cosZ[az * n + j]; const sz = signZ * sinZ[az * n + j]
            const q = charges[j]
            const tr = q * (xyRe[j] * cz - xyIm[j] * sz)
            const ti = q * (xyRe[j] * sz + xyIm[j] * cz)
            termRe[j] = tr; termIm[j] = ti
            cs += tr; ss += ti
          }
          const kz = rz * unitZ
          const k2 = kx * kx + ky * ky + kz * kz
          const ak = Math.exp(k2 * factorEwald) / k2
          const scale = 2 * recipCoeff * ak
          for (let j = 0; j < n; j++) {
            const force = scale * (cs * termIm[j] - ss * termRe[j])
            forcesOut[3 * j] += force * kx
            forcesOut[3 * j + 1] += force * ky
            forcesOut[3 * j + 2] += force * kz
          }
          energy += recipCoeff * ak * (cs * cs + ss * ss)
          lowZ = 1 - this.kmaxZ
        }
        lowY = 1 - this.kmaxY
      }
    }
    return energy
  }
}

/** cos/sin(r unit x_axis) for r = 0 .. kmax-1 by repeated complex multiplication, as OpenMM builds them. */
function fillPowers (positionsNm: Float64Array, axis: number, unit: number, kmax: number, n: number,
  cosOut: Float64Array, sinOut: Float64Array): void {
  for (let j = 0; j < n; j++) {
    cosOut[j] = 1
    sinOut[j] = 0
    if (kmax < 2) continue
    const angle = positionsNm[3 * j + axis] * unit
    const c1 = Math.cos(angle); const s1 = Math.sin(angle)
    cosOut[n + j] = c1
    sinOut[n + j] = s1
    for (let r = 2; r < kmax; r++) {
      const pc = cosOut[(r - 1) * n + j]; const ps = sinOut[(r - 1) * n + j]
      cosOut[r * n + j] = pc * c1 - ps * s1
      sinOut[r * n + j] = pc * s1 + ps * c1
    }
  }
}
