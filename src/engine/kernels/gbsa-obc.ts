/**
 * GBSAOBCForce: generalized Born implicit solvent (Onufriev-Bashford-Case,
 * type II: alpha 1.0, beta 0.8, gamma 4.85) with the ACE surface-area term,
 * exactly as OpenMM 7.7's Reference platform (ReferenceObc.cpp,
 * ObcParameters.cpp):
 *
 * - Born radii: offset radius rho_i = r_i - 0.009 nm, scaled radius
 *   s_j rho_j; HCT pair integral I_ij summed over j != i (within the cutoff
 *   when there is one); psi = rho_i I_i / 2;
 *   R_i = 1 / (1/rho_i - tanh(alpha psi - beta psi^2 + gamma psi^3) / r_i);
 * - polar energy over pairs i <= j (i = j counted half):
 *   E = -ONE_4PI_EPS0 (1/eps_solute - 1/eps_solvent) qi qj / f_GB,
 *   f_GB = sqrt(r^2 + Ri Rj exp(-r^2 / (4 Ri Rj))); with a cutoff,
 *   pairs i != j beyond it are left out and within it shifted by
 *   -prefactor qi qj / cutoff;
 * - ACE non-polar term 4 pi sigma (r_i + 0.14 nm)^2 (r_i / R_i)^6;
 * - forces through the Born radii (chain rule), as OpenMM.
 *
 * Units: nm, e, kJ/mol; surfaceAreaEnergy kJ/mol/nm^2.
 */
import { InvalidBoxError, InvalidSystemError } from '../errors.ts'
import type { BoxVectors, GBSAOBCForce } from '../system.ts'
import { ONE_4PI_EPS0 } from './constants.ts'
import type { ForceKernel } from './kernel.ts'
import { displacementInto } from './periodic.ts'

const DIELECTRIC_OFFSET_NM = 0.009
const PROBE_RADIUS_NM = 0.14
const ALPHA_OBC = 1.0
const BETA_OBC = 0.8
const GAMMA_OBC = 4.85

export class GbsaObcKernel implements ForceKernel {
  readonly forceType = 'GBSAOBCForce'
  private readonly force: GBSAOBCForce
  private readonly n: number
  private readonly useCutoff: boolean
  private readonly periodic: boolean
  private readonly cutoffNm: number
  private readonly preFactor: number
  private readonly surfaceAreaFactor: number
  private readonly charge: Float64Array
  private readonly radius: Float64Array
  private readonly offsetRadius: Float64Array
  private readonly scaledRadius: Float64Array
  /** Born radii (nm), OBC chain factors and Born forces, per particle. */
  readonly bornRadii: Float64Array
  private readonly obcChain: Float64Array
  private readonly bornForces: Float64Array
  private readonly delta = new Float64Array(3)

  constructor (force: GBSAOBCForce, particleCount: number) {
    if (force.charge.length !== particleCount) {
      throw new InvalidSystemError(`GBSAOBCForce has ${force.charge.length} particles but the System has ${particleCount}.`)
    }
    this.force = force
    this.n = particleCount
    this.useCutoff = force.method !== 'NoCutoff'
    this.periodic = force.method === 'CutoffPeriodic'
    this.cutoffNm = force.cutoffNm
    if (this.useCutoff && !(force.cutoffNm > 0)) throw new InvalidSystemError(`GBSAOBCForce cutoff must be positive (got ${force.cutoffNm} nm).`)
    const solute = force.soluteDielectric
    const solvent = force.solventDielectric
    this.preFactor = solute !== 0 && solvent !== 0 ? 2 * (-0.5 * ONE_4PI_EPS0) * (1 / solute - 1 / solvent) : 0
    this.surfaceAreaFactor = 4 * Math.PI * force.surfaceAreaEnergy
    this.charge = Float64Array.from(force.charge)
    this.radius = Float64Array.from(force.radiusNm)
    this.offsetRadius = new Float64Array(particleCount)
    this.scaledRadius = new Float64Array(particleCount)
    for (let i = 0; i < particleCount; i++) {
      if (!(force.radiusNm[i] > DIELECTRIC_OFFSET_NM)) {
        throw new InvalidSystemError(`GBSAOBCForce particle ${i}: radius ${force.radiusNm[i]} nm must be larger than the dielectric offset ${DIELECTRIC_OFFSET_NM} nm.`)
      }
      this.offsetRadius[i] = force.radiusNm[i] - DIELECTRIC_OFFSET_NM
      this.scaledRadius[i] = this.offsetRadius[i] * force.scale[i]
    }
    this.bornRadii = new Float64Array(particleCount)
    this.obcChain = new Float64Array(particleCount)
    this.bornForces = new Float64Array(particleCount)
  }

  compute (positionsNm: Float64Array, box: BoxVectors | null, forcesOut: Float64Array,
    energyByGroup: Float64Array, groupsMask: number): void {
    const group = this.force.forceGroup
    if ((groupsMask & (1 << group)) === 0) return
    if (this.periodic && box === null) {
      throw new InvalidBoxError('This system uses periodic boundary conditions (GBSAOBCForce CutoffPeriodic) but no periodic box was given.')
    }
    const periodicBox = this.periodic ? box : null
    this.computeBornRadii(positionsNm, periodicBox)
    energyByGroup[group] += this.computeEnergyAndForces(positionsNm, periodicBox, forcesOut)
  }

  /** j - i (nm) into this.delta, minimum image when periodic; returns r^2. */
  private separation (positionsNm: Float64Array, i: number, j: number, box: BoxVectors | null): number {
    return displacementInto(positionsNm, 3 * i, 3 * j, box, this.delta, 0)
  }

  private computeBornRadii (positionsNm: Float64Array, box: BoxVectors | null): void {
    const n = this.n
    const { offsetRadius, scaledRadius, radius, bornRadii, obcChain } = this
    const useCutoff = this.useCutoff
    const cutoff = this.cutoffNm
    for (let i = 0; i < n; i++) {
      const rhoI = offsetRadius[i]
      const inverseRhoI = 1 / rhoI
      let sum = 0
      for (let j = 0; j < n; j++) {
        if (j === i) continue
        const r = Math.sqrt(this.separation(positionsNm, i, j, box))
        if (useCutoff && r > cutoff) continue
        const sJ = scaledRadius[j]
        const rScaledJ = r + sJ
        if (rhoI < rScaledJ) {
          const inverseR = 1 / r
          const l = 1 / Math.max(rhoI, Math.abs(r - sJ))
          const u = 1 / rScaledJ
          const l2 = l * l
          const u2 = u * u
          let term = l - u + 0.25 * r * (u2 - l2) + 0.5 * inverseR * Math.log(u / l) + 0.25 * sJ * sJ * inverseR * (l2 - u2)
          if (rhoI < sJ - r) term += 2 * (inverseRhoI - l)
          sum += term
        }
      }
      sum *= 0.5 * rhoI
      const sum2 = sum * sum
      const sum3 = sum * sum2
      const tanhSum = Math.tanh(ALPHA_OBC * sum - BETA_OBC * sum2 + GAMMA_OBC * sum3)
      bornRadii[i] = 1 / (1 / rhoI - tanhSum / radius[i])
      obcChain[i] = (1 - tanhSum * tanhSum) * rhoI * (ALPHA_OBC - 2 * BETA_OBC * sum + 3 * GAMMA_OBC * sum2) / radius[i]
    }
  }

  private computeEnergyAndForces (positionsNm: Float64Array, box: BoxVectors | null, forcesOut: Float64Array): number {
    const n = this.n
    const { charge, radius, bornRadii, bornForces, obcChain, offsetRadius, scaledRadius } = this
    const useCutoff = this.useCutoff
    const cutoff = this.cutoffNm
    const d = this.delta
    bornForces.fill(0)
    let energy = 0
    // ACE non-polar term
    for (let i = 0; i < n; i++) {
      if (bornRadii[i] > 0) {
        const r = radius[i] + PROBE_RADIUS_NM
        const ratio = radius[i] / bornRadii[i]
        const ratio2 = ratio * ratio
        const saTerm = this.surfaceAreaFactor * r * r * ratio2 * ratio2 * ratio2
        energy += saTerm
        bornForces[i] -= 6 * saTerm / bornRadii[i]
      }
    }
    // polar term over pairs i <= j
    for (let i = 0; i < n; i++) {
      const qi = this.preFactor * charge[i]
      for (let j = i; j < n; j++) {
        const r2 = this.separation(positionsNm, i, j, box)
        if (useCutoff && Math.sqrt(r2) > cutoff) continue
        const alpha2 = bornRadii[i] * bornRadii[j]
        const D = r2 / (4 * alpha2)
        const expTerm = Math.exp(-D)
        const denominator2 = r2 + alpha2 * expTerm
        const denominator = Math.sqrt(denominator2)
        const gpol = qi * charge[j] / denominator
        const dGpolDr = -gpol * (1 - 0.25 * expTerm) / denominator2
        const dGpolDalpha2 = -0.5 * gpol * expTerm * (1 + D) / denominator2
        let pairEnergy = gpol
        if (i !== j) {
          if (useCutoff) pairEnergy -= qi * charge[j] / cutoff
          bornForces[j] += dGpolDalpha2 * bornRadii[i]
          const fx = d[0] * dGpolDr; const fy = d[1] * dGpolDr; const fz = d[2] * dGpolDr
          forcesOut[3 * i] += fx; forcesOut[3 * i + 1] += fy; forcesOut[3 * i + 2] += fz
          forcesOut[3 * j] -= fx; forcesOut[3 * j + 1] -= fy; forcesOut[3 * j + 2] -= fz
        } else {
          pairEnergy *= 0.5
        }
        energy += pairEnergy
        bornForces[i] += dGpolDalpha2 * bornRadii[j]
      }
    }
    for (let i = 0; i < n; i++) bornForces[i] *= bornRadii[i] * bornRadii[i] * obcChain[i]
    // chain rule through the Born radii
    for (let i = 0; i < n; i++) {
      const rhoI = offsetRadius[i]
      const bornForceI = bornForces[i]
      for (let j = 0; j < n; j++) {
        if (j === i) continue
        const r2 = this.separation(positionsNm, i, j, box)
        const r = Math.sqrt(r2)
        if (useCutoff && r > cutoff) continue
        const sJ = scaledRadius[j]
        const rScaledJ = r + sJ
        if (rhoI < rScaledJ) {
          const l = 1 / Math.max(rhoI, Math.abs(r - sJ))
          const u = 1 / rScaledJ
          const l2 = l * l
          const u2 = u * u
          const inverseR = 1 / r
          const inverseR2 = inverseR * inverseR
          const t3 = 0.125 * (1 + sJ * sJ * inverseR2) * (l2 - u2) + 0.25 * Math.log(u / l) * inverseR2
          const de = bornForceI * t3 * inverseR
          const fx = d[0] * de; const fy = d[1] * de; const fz = d[2] * de
          forcesOut[3 * i] -= fx; forcesOut[3 * i + 1] -= fy; forcesOut[3 * i + 2] -= fz
          forcesOut[3 * j] += fx; forcesOut[3 * j + 1] += fy; forcesOut[3 * j + 2] += fz
        }
      }
    }
    return energy
  }
}
