/**
 * Dihedral angle of four atoms A-B-C-D and the distribution of dE/dphi onto
 * them, following OpenMM 7.7's ReferenceProperDihedralBond (shared by the
 * periodic and Ryckaert-Bellemans torsions). Sign convention as OpenMM
 * (IUPAC): phi is positive when, looking down B->C, A must turn clockwise
 * to eclipse D; trans is +-pi.
 */
import type { BoxVectors } from '../system.ts'
import { displacementInto } from './periodic.ts'

export class DihedralGeometry {
  /** Scratch for the periodic minimum image (nm): A-B [0..2], C-B [3..5], C-D [6..8]. */
  private readonly delta = new Float64Array(9)
  /**
   * What `applyForces` needs from the last `measure`: cross0 = (A-B) x (C-B)
   * scaled by |BC| / |cross0|^2 [0..2] (nm^-1), cross1 = (C-B) x (C-D) scaled
   * by |BC| / |cross1|^2 [3..5] (nm^-1), and (A-B).(C-B) / |BC|^2 [6],
   * (C-D).(C-B) / |BC|^2 [7].
   */
  private readonly forceFactors = new Float64Array(8)
  /** cos(phi) and sin(phi) of the last `measure`. */
  cosPhi = 1
  sinPhi = 0

  /**
   * Measures the dihedral A-B-C-D (atom indices): sets cosPhi and sinPhi
   * (phi in (-pi, pi], sign as OpenMM); `phi()` gives the angle itself.
   */
  measure (positionsNm: Float64Array, atomA: number, atomB: number, atomC: number, atomD: number,
    periodicBox: BoxVectors | null): void {
    const a = 3 * atomA; const b = 3 * atomB; const c = 3 * atomC; const d = 3 * atomD
    const v = this.delta
    displacementInto(positionsNm, b, a, periodicBox, v, 0)
    const r2BC = displacementInto(positionsNm, b, c, periodicBox, v, 3)
    displacementInto(positionsNm, d, c, periodicBox, v, 6)
    const x0 = v[0]; const y0 = v[1]; const z0 = v[2]; const x1 = v[3]; const y1 = v[4]; const z1 = v[5]
    const x2 = v[6]; const y2 = v[7]; const z2 = v[8]
    const c0x = y0 * z1 - z0 * y1; const c0y = z0 * x1 - x0 * z1; const c0z = x0 * y1 - y0 * x1
    const c1x = y1 * z2 - z1 * y2; const c1y = z1 * x2 - x1 * z2; const c1z = x1 * y2 - y1 * x2
    const norm0 = c0x * c0x + c0y * c0y + c0z * c0z
    const norm1 = c1x * c1x + c1y * c1y + c1z * c1z
    const lengthBC = Math.sqrt(r2BC)
    if (norm0 * norm1 > 0) {
      // cos(phi) ~ cross0.cross1 and sin(phi) ~ |BC| (A-B).cross1, both over |cross0||cross1|; that
      // norm is exactly the length of the vector (cos, sin) (Lagrange's identity), so divide by it.
      const cosine = c0x * c1x + c0y * c1y + c0z * c1z
      const sine = lengthBC * (x0 * c1x + y0 * c1y + z0 * c1z)
      const inverseNorm = 1 / Math.sqrt(cosine * cosine + sine * sine)
      this.cosPhi = cosine * inverseNorm
      this.sinPhi = sine * inverseNorm
    } else {
      this.cosPhi = 1
      this.sinPhi = 0
    }
    const f = this.forceFactors
    const scale0 = lengthBC / norm0
    const scale1 = lengthBC / norm1
    f[0] = scale0 * c0x; f[1] = scale0 * c0y; f[2] = scale0 * c0z
    f[3] = scale1 * c1x; f[4] = scale1 * c1y; f[5] = scale1 * c1z
    const inverseR2BC = 1 / r2BC
    f[6] = (x0 * x1 + y0 * y1 + z0 * z1) * inverseR2BC
    f[7] = (x2 * x1 + y2 * y1 + z2 * z1) * inverseR2BC
  }

  /** phi of the last `measure`, rad in (-pi, pi]. */
  phi (): number {
    return Math.atan2(this.sinPhi, this.cosPhi)
  }

  /** Adds the forces of a torsion energy with derivative dE/dphi (kJ/mol/rad) for the last `measure`. */
  applyForces (dEdPhi: number, forcesOut: Float64Array, atomA: number, atomB: number, atomC: number, atomD: number): void {
    const f = this.forceFactors
    const factor1 = f[6]
    const factor2 = f[7]
    const a = 3 * atomA; const b = 3 * atomB; const c = 3 * atomC; const d = 3 * atomD
    // force on A = -dE/dphi |BC| cross0 / |cross0|^2, on D = dE/dphi |BC| cross1 / |cross1|^2 (OpenMM's f0, f3)
    const f0x = -dEdPhi * f[0]; const f0y = -dEdPhi * f[1]; const f0z = -dEdPhi * f[2]
    const f3x = dEdPhi * f[3]; const f3y = dEdPhi * f[4]; const f3z = dEdPhi * f[5]
    const sx = factor1 * f0x - factor2 * f3x
    const sy = factor1 * f0y - factor2 * f3y
    const sz = factor1 * f0z - factor2 * f3z
    forcesOut[a] += f0x; forcesOut[a + 1] += f0y; forcesOut[a + 2] += f0z
    forcesOut[b] -= f0x - sx; forcesOut[b + 1] -= f0y - sy; forcesOut[b + 2] -= f0z - sz
    forcesOut[c] -= f3x + sx; forcesOut[c + 1] -= f3y + sy; forcesOut[c + 2] -= f3z + sz
    forcesOut[d] += f3x; forcesOut[d + 1] += f3y; forcesOut[d + 2] += f3z
  }
}
