/**
 * SETTLE (Miyamoto & Kollman, J. Comput. Chem. 13, 952 (1992)) for rigid
 * three-site molecules (water), a port of OpenMM 7.7's
 * ReferenceSETTLEAlgorithm: an analytic solution, so it needs no iteration and
 * satisfies the constraints to rounding.
 *
 * Each cluster: central atom (atom1, e.g. O), two outer atoms (atom2, atom3,
 * e.g. H) with |1-2| = |1-3| = distance1 and |2-3| = distance2. The position
 * algorithm assumes the two outer atoms have equal mass (as OpenMM does); the
 * velocity algorithm allows any masses.
 */
export interface SettleClusters {
  readonly atom1: Int32Array
  readonly atom2: Int32Array
  readonly atom3: Int32Array
  /** Central-to-outer distance, nm. */
  readonly distance1: Float64Array
  /** Outer-to-outer distance, nm. */
  readonly distance2: Float64Array
}

export class SettleSolver {
  readonly clusterCount: number

  constructor (private readonly clusters: SettleClusters, private readonly masses: Float64Array) {
    this.clusterCount = clusters.atom1.length
  }

  /**
   * Moves `targetNm` so each cluster is rigid, starting from `referenceNm`
   * (which must satisfy the constraints). The arrays may alias.
   */
  apply (referenceNm: Float64Array, targetNm: Float64Array): void {
    const { atom1, atom2, atom3, distance1, distance2 } = this.clusters
    const masses = this.masses
    const pos = referenceNm
    const out = targetNm
    for (let index = 0; index < this.clusterCount; index++) {
      const i0 = 3 * atom1[index]
      const i1 = 3 * atom2[index]
      const i2 = 3 * atom3[index]
      const ax = pos[i0]; const ay = pos[i0 + 1]; const az = pos[i0 + 2]
      const bx = pos[i1]; const by = pos[i1 + 1]; const bz = pos[i1 + 2]
      const cx = pos[i2]; const cy = pos[i2 + 1]; const cz = pos[i2 + 2]
      const xp0x = out[i0] - ax; const xp0y = out[i0 + 1] - ay; const xp0z = out[i0 + 2] - az
      const xp1x = out[i1] - bx; const xp1y = out[i1 + 1] - by; const xp1z = out[i1 + 2] - bz
      const xp2x = out[i2] - cx; const xp2y = out[i2 + 1] - cy; const xp2z = out[i2 + 2] - cz
      const m0 = masses[atom1[index]]
      const m1 = masses[atom2[index]]
      const m2 = masses[atom3[index]]

      const xb0 = bx - ax; const yb0 = by - ay; const zb0 = bz - az
      const xc0 = cx - ax; const yc0 = cy - ay; const zc0 = cz - az

      const invTotalMass = 1 / (m0 + m1 + m2)
      const xcom = (xp0x * m0 + (xb0 + xp1x) * m1 + (xc0 + xp2x) * m2) * invTotalMass
      const ycom = (xp0y * m0 + (yb0 + xp1y) * m1 + (yc0 + xp2y) * m2) * invTotalMass
      const zcom = (xp0z * m0 + (zb0 + xp1z) * m1 + (zc0 + xp2z) * m2) * invTotalMass

      const xa1 = xp0x - xcom; const ya1 = xp0y - ycom; const za1 = xp0z - zcom
      const xb1 = xb0 + xp1x - xcom; const yb1 = yb0 + xp1y - ycom; const zb1 = zb0 + xp1z - zcom
      const xc1 = xc0 + xp2x - xcom; const yc1 = yc0 + xp2y - ycom; const zc1 = zc0 + xp2z - zcom

      const xaksZd = yb0 * zc0 - zb0 * yc0
      const yaksZd = zb0 * xc0 - xb0 * zc0
      const zaksZd = xb0 * yc0 - yb0 * xc0
      const xaksXd = ya1 * zaksZd - za1 * yaksZd
      const yaksXd = za1 * xaksZd - xa1 * zaksZd
      const zaksXd = xa1 * yaksZd - ya1 * xaksZd
      const xaksYd = yaksZd * zaksXd - zaksZd * yaksXd
      const yaksYd = zaksZd * xaksXd - xaksZd * zaksXd
      const zaksYd = xaksZd * yaksXd - yaksZd * xaksXd

      const axlng = Math.sqrt(xaksXd * xaksXd + yaksXd * yaksXd + zaksXd * zaksXd)
      const aylng = Math.sqrt(xaksYd * xaksYd + yaksYd * yaksYd + zaksYd * zaksYd)
      const azlng = Math.sqrt(xaksZd * xaksZd + yaksZd * yaksZd + zaksZd * zaksZd)
      const trns11 = xaksXd / axlng; const trns21 = yaksXd / axlng; const trns31 = zaksXd / axlng
      const trns12 = xaksYd / aylng; const trns22 = yaksYd / aylng; const trns32 = zaksYd / aylng
      const trns13 = xaksZd / azlng; const trns23 = yaksZd / azlng; const trns33 = zaksZd / azlng

      const xb0d = trns11 * xb0 + trns21 * yb0 + trns31 * zb0
      const yb0d = trns12 * xb0 + trns22 * yb0 + trns32 * zb0
      const xc0d = trns11 * xc0 + trns21 * yc0 + trns31 * zc0
      const yc0d = trns12 * xc0 + trns22 * yc0 + trns32 * zc0
      const za1d = trns13 * xa1 + trns23 * ya1 + trns33 * za1
      const xb1d = trns11 * xb1 + trns21 * yb1 + trns31 * zb1
      const yb1d = trns12 * xb1 + trns22 * yb1 + trns32 * zb1
      const zb1d = trns13 * xb1 + trns23 * yb1 + trns33 * zb1
      const xc1d = trns11 * xc1 + trns21 * yc1 + trns31 * zc1
      const yc1d = trns12 * xc1 + trns22 * yc1 + trns32 * zc1
      const zc1d = trns13 * xc1 + trns23 * yc1 + trns33 * zc1

      // Step 2: A2'
      const d2 = distance2[index]
      const rc = 0.5 * d2
      let rb = Math.sqrt(distance1[index] * distance1[index] - rc * rc)
      const ra = rb * (m1 + m2) * invTotalMass
      rb -= ra
      const sinphi = za1d / ra
      const cosphi = Math.sqrt(1 - sinphi * sinphi)
      const sinpsi = (zb1d - zc1d) / (2 * rc * cosphi)
      const cospsi = Math.sqrt(1 - sinpsi * sinpsi)

      const ya2d = ra * cosphi
      let xb2d = -rc * cospsi
      const yb2d = -rb * cosphi - rc * sinpsi * sinphi
      const yc2d = -rb * cosphi + rc * sinpsi * sinphi
      const xb2d2 = xb2d * xb2d
      const hh2 = 4 * xb2d2 + (yb2d - yc2d) * (yb2d - yc2d) + (zb1d - zc1d) * (zb1d - zc1d)
      const deltx = 2 * xb2d + Math.sqrt(4 * xb2d2 - hh2 + d2 * d2)
      xb2d -= deltx * 0.5

      // Step 3: alpha, beta, gamma
      const alpha = xb2d * (xb0d - xc0d) + yb0d * yb2d + yc0d * yc2d
      const beta = xb2d * (yc0d - yb0d) + xb0d * yb2d + xc0d * yc2d
      const gamma = xb0d * yb1d - xb1d * yb0d + xc0d * yc1d - xc1d * yc0d
      const al2be2 = alpha * alpha + beta * beta
      const sintheta = (alpha * gamma - beta * Math.sqrt(al2be2 - gamma * gamma)) / al2be2

      // Step 4: A3'
      const costheta = Math.sqrt(1 - sintheta * sintheta)
      const xa3d = -ya2d * sintheta
      const ya3d = ya2d * costheta
      const za3d = za1d
      const xb3d = xb2d * costheta - yb2d * sintheta
      const yb3d = xb2d * sintheta + yb2d * costheta
      const zb3d = zb1d
      const xc3d = -xb2d * costheta - yc2d * sintheta
      const yc3d = -xb2d * sintheta + yc2d * costheta
      const zc3d = zc1d

      // Step 5: A3
      const xa3 = trns11 * xa3d + trns12 * ya3d + trns13 * za3d
      const ya3 = trns21 * xa3d + trns22 * ya3d + trns23 * za3d
      const za3 = trns31 * xa3d + trns32 * ya3d + trns33 * za3d
      const xb3 = trns11 * xb3d + trns12 * yb3d + trns13 * zb3d
      const yb3 = trns21 * xb3d + trns22 * yb3d + trns23 * zb3d
      const zb3 = trns31 * xb3d + trns32 * yb3d + trns33 * zb3d
      const xc3 = trns11 * xc3d + trns12 * yc3d + trns13 * zc3d
      const yc3 = trns21 * xc3d + trns22 * yc3d + trns23 * zc3d
      const zc3 = trns31 * xc3d + trns32 * yc3d + trns33 * zc3d

      out[i0] = (xcom + xa3) + ax
      out[i0 + 1] = (ycom + ya3) + ay
      out[i0 + 2] = (zcom + za3) + az
      out[i1] = (xcom + xb3 - xb0) + bx
      out[i1 + 1] = (ycom + yb3 - yb0) + by
      out[i1 + 2] = (zcom + zb3 - zb0) + bz
      out[i2] = (xcom + xc3 - xc0) + cx
      out[i2 + 1] = (ycom + yc3 - yc0) + cy
      out[i2 + 2] = (zcom + zc3 - zc0) + cz
    }
  }

  /** Removes the velocity components that would change any cluster's bond lengths (in place). */
  applyToVelocities (positionsNm: Float64Array, velocities: Float64Array, inverseMasses: Float64Array): void {
    const { atom1, atom2, atom3 } = this.clusters
    const masses = this.masses
    const pos = positionsNm
    const vel = velocities
    for (let index = 0; index < this.clusterCount; index++) {
      const a0 = atom1[index]
      const a1 = atom2[index]
      const a2 = atom3[index]
      const i0 = 3 * a0
      const i1 = 3 * a1
      const i2 = 3 * a2
      const mA = masses[a0]
      const mB = masses[a1]
      const mC = masses[a2]
      let eABx = pos[i1] - pos[i0]; let eABy = pos[i1 + 1] - pos[i0 + 1]; let eABz = pos[i1 + 2] - pos[i0 + 2]
      let eBCx = pos[i2] - pos[i1]; let eBCy = pos[i2 + 1] - pos[i1 + 1]; let eBCz = pos[i2 + 2] - pos[i1 + 2]
      let eCAx = pos[i0] - pos[i2]; let eCAy = pos[i0 + 1] - pos[i2 + 1]; let eCAz = pos[i0 + 2] - pos[i2 + 2]
      const lAB = Math.sqrt(eABx * eABx + eABy * eABy + eABz * eABz)
      const lBC = Math.sqrt(eBCx * eBCx + eBCy * eBCy + eBCz * eBCz)
      const lCA = Math.sqrt(eCAx * eCAx + eCAy * eCAy + eCAz * eCAz)
      // OpenMM divides Vec3 by a scalar as multiplication by its reciprocal.
      const invAB = 1 / lAB; const invBC = 1 / lBC; const invCA = 1 / lCA
      eABx *= invAB; eABy *= invAB; eABz *= invAB
      eBCx *= invBC; eBCy *= invBC; eBCz *= invBC
      eCAx *= invCA; eCAy *= invCA; eCAz *= invCA
      const v0x = vel[i0]; const v0y = vel[i0 + 1]; const v0z = vel[i0 + 2]
      const v1x = vel[i1]; const v1y = vel[i1 + 1]; const v1z = vel[i1 + 2]
      const v2x = vel[i2]; const v2y = vel[i2 + 1]; const v2z = vel[i2 + 2]
      const vAB = (v1x - v0x) * eABx + (v1y - v0y) * eABy + (v1z - v0z) * eABz
      const vBC = (v2x - v1x) * eBCx + (v2y - v1y) * eBCy + (v2z - v1z) * eBCz
      const vCA = (v0x - v2x) * eCAx + (v0y - v2y) * eCAy + (v0z - v2z) * eCAz
      const cA = -(eABx * eCAx + eABy * eCAy + eABz * eCAz)
      const cB = -(eABx * eBCx + eABy * eBCy + eABz * eBCz)
      const cC = -(eBCx * eCAx + eBCy * eCAy + eBCz * eCAz)
      const s2A = 1 - cA * cA
      const s2B = 1 - cB * cB
      const s2C = 1 - cC * cC

      const mABCinv = 1 / (mA * mB * mC)
      const denom = (((s2A * mB + s2B * mA) * mC + (s2A * mB * mB + 2 * (cA * cB * cC + 1) * mA * mB + s2B * mA * mA)) * mC + s2C * mA * mB * (mA + mB)) * mABCinv
      const tab = ((cB * cC * mA - cA * mB - cA * mC) * vCA + (cA * cC * mB - cB * mC - cB * mA) * vBC + (s2C * mA * mA * mB * mB * mABCinv + (mA + mB + mC)) * vAB) / denom
      const tbc = ((cA * cB * mC - cC * mB - cC * mA) * vCA + (s2A * mB * mB * mC * mC * mABCinv + (mA + mB + mC)) * vBC + (cA * cC * mB - cB * mA - cB * mC) * vAB) / denom
      const tca = ((s2B * mA * mA * mC * mC * mABCinv + (mA + mB + mC)) * vCA + (cA * cB * mC - cC * mB - cC * mA) * vBC + (cB * cC * mA - cA * mB - cA * mC) * vAB) / denom
      const w0 = inverseMasses[a0]
      const w1 = inverseMasses[a1]
      const w2 = inverseMasses[a2]
      vel[i0] = v0x + (eABx * tab - eCAx * tca) * w0
      vel[i0 + 1] = v0y + (eABy * tab - eCAy * tca) * w0
      vel[i0 + 2] = v0z + (eABz * tab - eCAz * tca) * w0
      vel[i1] = v1x + (eBCx * tbc - eABx * tab) * w1
      vel[i1 + 1] = v1y + (eBCy * tbc - eABy * tab) * w1
      vel[i1 + 2] = v1z + (eBCz * tbc - eABz * tab) * w1
      vel[i2] = v2x + (eCAx * tca - eBCx * tbc) * w2
      vel[i2 + 1] = v2y + (eCAy * tca - eBCy * tbc) * w2
      vel[i2 + 2] = v2z + (eCAz * tca - eBCz * tbc) * w2
    }
  }
}
