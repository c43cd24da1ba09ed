/**
 * Dihedral angle of four atoms A-B-C-D and the distribution of dE/dphi onto
 * them, following OpenMM 7.7's ReferenceProperDihedralBond (shared by the
 * periodic and Ryckaert-Bellemans torsions). Sign convention as OpenMM
 * (IUPAC): phi is positive when, looking down B->C, A must turn clockwise
 * to eclipse D; trans is +-pi.
 */
import type { BoxVectors } from '../system.ts'
import { minimumImageInPlace } from './periodic.ts'

export class DihedralGeometry {
  /**
   * Scratch (nm): d0 = A-B [0..2], d1 = C-B [3..5], d2 = C-D [6..8],
   * cross0 = d0 x d1 [9..11], cross1 = d1 x d2 [12..14].
   */
  private readonly v = new Float64Array(15)
  /** cos(phi) and sin(phi) of the last `measure`. */
  cosPhi = 1
  sinPhi = 0

  /**
   * Measures the dihedral A-B-C-D (atom indices): sets cosPhi and sinPhi
   * (phi in (-pi, pi], sign as OpenMM); `phi()` gives the angle itself.
   */
  measure (positionsNm: Float64Array, atomA: number, atomB: number, atomC: number, atomD: number,
    periodicBox: BoxVectors | null): void {
    const v = this.v
    const a = 3 * atomA; const b = 3 * atomB; const c = 3 * atomC; const d = 3 * atomD
    v[0] = positionsNm[a] - positionsNm[b]
    v[1] = positionsNm[a + 1] - positionsNm[b + 1]
    v[2] = positionsNm[a + 2] - positionsNm[b + 2]
    v[3] = positionsNm[c] - positionsNm[b]
    v[4] = positionsNm[c + 1] - positionsNm[b + 1]
    v[5] = positionsNm[c + 2] - positionsNm[b + 2]
    v[6] = positionsNm[c] - positionsNm[d]
    v[7] = positionsNm[c + 1] - positionsNm[d + 1]
    v[8] = positionsNm[c + 2] - positionsNm[d + 2]
    if (periodicBox !== null) {
      minimumImageInPlace(v, 0, periodicBox)
      minimumImageInPlace(v, 3, periodicBox)
      minimumImageInPlace(v, 6, periodicBox)
    }
    const x0 = v[0]; const y0 = v[1]; const z0 = v[2]
    const x1 = v[3]; const y1 = v[4]; const z1 = v[5]
    const x2 = v[6]; const y2 = v[7]; const z2 = v[8]
    const c0x = y0 * z1 - z0 * y1; const c0y = z0 * x1 - x0 * z1; const c0z = x0 * y1 - y0 * x1
    const c1x = y1 * z2 - z1 * y2; const c1y = z1 * x2 - x1 * z2; const c1z = x1 * y2 - y1 * x2
    v[9] = c0x; v[10] = c0y; v[11] = c0z
    v[12] = c1x; v[13] = c1y; v[14] = c1z
    // cos(phi) = cross0.cross1 / (|cross0||cross1|), sin(phi) = |BC| d0.cross1 / (|cross0||cross1|)
    const crossDot = c0x * c1x + c0y * c1y + c0z * c1z
    const norm0 = c0x * c0x + c0y * c0y + c0z * c0z
    const norm1 = c1x * c1x + c1y * c1y + c1z * c1z
    const denominator = Math.sqrt(norm0 * norm1)
    if (denominator > 0) {
      const lengthBC = Math.sqrt(x1 * x1 + y1 * y1 + z1 * z1)
      const signDot = x0 * c1x + y0 * c1y + z0 * c1z
      let cosPhi = crossDot / denominator
      let sinPhi = lengthBC * signDot / denominator
      // renormalise (the two are exact only up to rounding)
      const norm = Math.sqrt(cosPhi * cosPhi + sinPhi * sinPhi)
      cosPhi /= norm
      sinPhi /= norm
      this.cosPhi = cosPhi
      this.sinPhi = sinPhi
    } else {
      this.cosPhi = 1
      this.sinPhi = 0
    }
  }

  /** phi of the last `measure`, rad in (-pi, pi]. */
  phi (): number {
    return Math.atan2(this.sinPhi, this.cosPhi)
  }

  /** Adds the forces of a torsion energy with derivative dE/dphi (kJ/mol/rad) for the last `measure`. */
  applyForces (dEdPhi: number, forcesOut: Float64Array, atomA: number, atomB: number, atomC: number, atomD: number): void {
    const v = this.v
    const r2BC = v[3] * v[3] + v[4] * v[4] + v[5] * v[5]
    const lengthBC = Math.sqrt(r2BC)
    const norm0 = v[9] * v[9] + v[10] * v[10] + v[11] * v[11]
    const norm1 = v[12] * v[12] + v[13] * v[13] + v[14] * v[14]
    const factor0 = -dEdPhi * lengthBC / norm0
    const factor3 = dEdPhi * lengthBC / norm1
    const factor1 = (v[0] * v[3] + v[1] * v[4] + v[2] * v[5]) / r2BC
    const factor2 = (v[6] * v[3] + v[7] * v[4] + v[8] * v[5]) / r2BC
    const a = 3 * atomA; const b = 3 * atomB; const c = 3 * atomC; const d = 3 * atomD
    for (let k = 0; k < 3; k++) {
      const f0 = factor0 * v[9 + k]
      const f3 = factor3 * v[12 + k]
      const s = factor1 * f0 - factor2 * f3
      forcesOut[a + k] += f0
      forcesOut[b + k] -= f0 - s
      forcesOut[c + k] -= f3 + s
      forcesOut[d + k] += f3
    }
  }
}
