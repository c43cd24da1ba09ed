/**
 * NonbondedForce with Ewald or PME electrostatics, exactly as OpenMM 7.7's
 * Reference platform (ReferenceCalcNonbondedForceKernel,
 * ReferenceLJCoulombIxn::calculateEwaldIxn, ReferenceLJCoulomb14):
 *
 * Direct space (the force's own group):
 * - pairs within the cutoff, minimum image, not excluded:
 *   E = ONE_4PI_EPS0 qi qj erfc(alpha r)/r + LJ (Lorentz-Berthelot, times
 *   the switching function when enabled);
 * - every exception pair (excluded from the pair loop) has its Gaussian
 *   screening charge interaction removed: E -= ONE_4PI_EPS0 qi qj erf(alpha r)/r
 *   (without the minimum image unless exceptionsUsePeriodic; when
 *   erf(alpha r) <= 1e-6 only the energy limit 2 alpha/sqrt(pi) ONE_4PI_EPS0 qi qj);
 * - exceptions with non-zero chargeProd or epsilon: plain Coulomb + LJ;
 * - dispersion correction C / V when enabled.
 * Reciprocal space (reciprocalSpaceForceGroup, or the force's group):
 * - self energy -ONE_4PI_EPS0 alpha/sqrt(pi) sum q^2 (OpenMM 7.7 adds no
 *   neutralizing-plasma term for charged systems);
 * - PME (order 5 B-splines) or plain Ewald k-space sum.
 *
 * alpha and the grid (kmax) come from ewaldErrorTolerance and the System's
 * default box as OpenMM chooses them, or from the XML when it sets them.
 *
 * LJPME adds (ReferenceLJCoulombIxn, 7.7) with c6_i = 2 sigma_i^3 sqrt(eps_i),
 * a = alpha_LJ r: a dispersion PME mesh and self term +alpha_LJ^6 eps sigma^6/3
 * (reciprocal group); for pairs within the cutoff
 * c6_ij/r^6 (1 - exp(-a^2)(1 + a^2 + a^4/2)) plus a constant shift (-LJ at
 * the cutoff minus the same multiplicative term there); for exception pairs
 * +c6_ij/r^6 (1 - exp(-a^2)(1 + a^2 + a^4/2)); no switching function and no
 * dispersion correction.
 */
import { InvalidBoxError, InvalidSystemError, UnsupportedForceError } from '../../errors.ts'
import type { BoxVectors, NonbondedForce, System } from '../../system.ts'
import { ONE_4PI_EPS0 } from '../constants.ts'
import { dispersionCorrectionCoefficient } from '../dispersion-correction.ts'
import { buildExclusionLists, type ExclusionLists } from '../exclusions.ts'
import type { ForceKernel } from '../kernel.ts'
import { NeighborList } from '../neighbor-list.ts'
import { minimumImageInPlace } from '../periodic.ts'
import { ExceptionPairs } from '../exception-pairs.ts'
import { erf, ErfcTable } from './erfc.ts'
import { ewaldParameters, ljpmeParameters, pmeParameters } from './ewald-parameters.ts'
import { EwaldReciprocal } from './ewald-reciprocal.ts'
import { PmeReciprocal } from './pme-reciprocal.ts'

/** OpenMM refuses a box narrower than this many cutoffs. */
const MIN_BOX_WIDTH_IN_CUTOFFS = 1.999999
const SQRT_PI = Math.sqrt(Math.PI)
/** Table intervals per unit of alpha r. */
const ERFC_TABLE_RESOLUTION = 512

export interface EwaldNonbondedKernelOptions {
  /** Neighbour-list skin, nm (default 0.1). */
  skinNm?: number
}

export class EwaldNonbondedKernel implements ForceKernel {
  readonly forceType = 'NonbondedForce'
  readonly method: 'Ewald' | 'PME' | 'LJPME'
  readonly alphaPerNm: number
  /** PME grid (null for Ewald). */
  readonly pme: PmeReciprocal | null
  /** LJPME's dispersion mesh (null unless LJPME). */
  readonly dispersionPme: PmeReciprocal | null
  /** LJPME's dispersion splitting parameter, nm^-1 (0 unless LJPME). */
  readonly dispersionAlphaPerNm: number
  /** Ewald k-space sum (null for PME). */
  readonly ewald: EwaldReciprocal | null
  private readonly force: NonbondedForce
  private readonly particleCount: number
  private readonly directGroup: number
  private readonly reciprocalGroup: number
  private readonly cutoffNm: number
  private readonly useSwitch: boolean
  private readonly switchingDistanceNm: number
  private readonly exceptionsArePeriodic: boolean
  private readonly dispersionCoefficient: number
  private readonly selfEnergy: number
  private readonly erfcTable: ErfcTable

  private readonly charge: Float64Array
  private readonly halfSigma: Float64Array
  private readonly epsilonFactor: Float64Array
  private readonly scaledCharge: Float64Array
  /** LJPME: per particle c6 = 2 sigma^3 sqrt(epsilon), and per exception pair c6_i c6_j. */
  private readonly c6: Float64Array
  private readonly exclusionC6: Float64Array
  /** Exception pairs (all of them, for the reciprocal-space correction): atoms and ONE_4PI_EPS0 qi qj. */
  private readonly exclusionP1: Int32Array
  private readonly exclusionP2: Int32Array
  private readonly exclusionChargeProd: Float64Array
  /** Exceptions that interact: atoms, sigma (nm), 4 epsilon (kJ/mol), ONE_4PI_EPS0 chargeProd. */
  private readonly exceptionPairs: ExceptionPairs

  private readonly exclusions: ExclusionLists
  private readonly neighborList: NeighborList
  private imageCharge = new Float64Array(0)
  private imageHalfSigma = new Float64Array(0)
  private imageEpsilonFactor = new Float64Array(0)
  private imageC6 = new Float64Array(0)
  private imagePositions = new Float64Array(0)
  private imageForces = new Float64Array(0)
  private parametersForBuild = -1
  private readonly delta = new Float64Array(3)

  constructor (force: NonbondedForce, system: Pick<System, 'particleCount' | 'defaultBox'>, options: EwaldNonbondedKernelOptions = {}) {
    if (force.method !== 'Ewald' && force.method !== 'PME' && force.method !== 'LJPME') throw new UnsupportedForceError(`NonbondedForce (${force.method})`)
    const n = system.particleCount
    if (force.charge.length !== n) {
      throw new InvalidSystemError(`NonbondedForce has ${force.charge.length} particles but the System has ${n}.`)
    }
    if (!(force.cutoffNm > 0)) throw new InvalidSystemError(`NonbondedForce cutoff must be positive (got ${force.cutoffNm} nm).`)
    if (!(force.ewaldErrorTolerance > 0 && force.ewaldErrorTolerance < 0.5)) {
      throw new InvalidSystemError(`NonbondedForce ewaldErrorTolerance must lie between 0 and 0.5 (got ${force.ewaldErrorTolerance}).`)
    }
    this.method = force.method
    this.force = force
    this.particleCount = n
    this.directGroup = force.forceGroup
    this.reciprocalGroup = force.reciprocalSpaceForceGroup >= 0 ? force.reciprocalSpaceForceGroup : force.forceGroup
    this.cutoffNm = force.cutoffNm
    // OpenMM's Reference platform turns the switching function off for LJPME.
    this.useSwitch = force.useSwitchingFunction && force.method !== 'LJPME'
    this.switchingDistanceNm = force.switchingDistanceNm
    if (this.useSwitch && !(force.switchingDistanceNm >= 0 && force.switchingDistanceNm < force.cutoffNm)) {
      throw new InvalidSystemError(`NonbondedForce switching distance (${force.switchingDistanceNm} nm) must lie between 0 and the cutoff (${force.cutoffNm} nm).`)
    }
    this.exceptionsArePeriodic = force.exceptionsUsePeriodic === true
    this.dispersionCoefficient = force.method === 'LJPME' ? 0 : dispersionCorrectionCoefficient(force, n)

    this.dispersionPme = null
    this.dispersionAlphaPerNm = 0
    if (force.method === 'PME' || force.method === 'LJPME') {
      const p = pmeParameters(force, system.defaultBox)
      this.alphaPerNm = p.alphaPerNm
      this.pme = new PmeReciprocal(n, p.gridX, p.gridY, p.gridZ, p.alphaPerNm)
      this.ewald = null
      if (force.method === 'LJPME') {
        const d = ljpmeParameters(force, system.defaultBox)
        this.dispersionAlphaPerNm = d.alphaPerNm
        this.dispersionPme = new PmeReciprocal(n, d.gridX, d.gridY, d.gridZ, d.alphaPerNm, 'dispersion')
      }
    } else {
      const p = ewaldParameters(force, system.defaultBox)
      this.alphaPerNm = p.alphaPerNm
      this.ewald = new EwaldReciprocal(n, p.kmaxX, p.kmaxY, p.kmaxZ, p.alphaPerNm)
      this.pme = null
    }
    this.erfcTable = new ErfcTable(this.alphaPerNm * this.cutoffNm * 1.001 + 0.01, ERFC_TABLE_RESOLUTION)

    const sqrtCoulomb = Math.sqrt(ONE_4PI_EPS0)
    this.charge = Float64Array.from(force.charge)
    this.halfSigma = new Float64Array(n)
    this.epsilonFactor = new Float64Array(n)
    this.scaledCharge = new Float64Array(n)
    this.c6 = new Float64Array(n)
    let sumQ2 = 0
    let dispersionSelf = 0
    for (let i = 0; i < n; i++) {
      this.halfSigma[i] = 0.5 * force.sigmaNm[i]
      this.epsilonFactor[i] = 2 * Math.sqrt(force.epsilon[i])
      this.scaledCharge[i] = sqrtCoulomb * force.charge[i]
      sumQ2 += force.charge[i] * force.charge[i]
      const sigma3 = force.sigmaNm[i] * force.sigmaNm[i] * force.sigmaNm[i]
      if (force.method === 'LJPME') this.c6[i] = 2 * sigma3 * Math.sqrt(force.epsilon[i])
      dispersionSelf += force.epsilon[i] * sigma3 * sigma3
    }
    this.selfEnergy = -ONE_4PI_EPS0 * sumQ2 * this.alphaPerNm / SQRT_PI
    if (force.method === 'LJPME') this.selfEnergy += Math.pow(this.dispersionAlphaPerNm, 6) * dispersionSelf / 3

    const exceptionCount = force.exceptionP1.length
    this.exclusionP1 = Int32Array.from(force.exceptionP1)
    this.exclusionP2 = Int32Array.from(force.exceptionP2)
    this.exclusionChargeProd = new Float64Array(exceptionCount)
    this.exclusionC6 = new Float64Array(exceptionCount)
    for (let e = 0; e < exceptionCount; e++) {
      this.exclusionChargeProd[e] = ONE_4PI_EPS0 * force.charge[force.exceptionP1[e]] * force.charge[force.exceptionP2[e]]
      this.exclusionC6[e] = this.c6[force.exceptionP1[e]] * this.c6[force.exceptionP2[e]]
    }
    this.exceptionPairs = new ExceptionPairs(force)
    this.exclusions = buildExclusionLists(n, force.exceptionP1, force.exceptionP2)
    this.neighborList = new NeighborList(n, force.cutoffNm, this.exclusions, options.skinNm)
  }

  /** PME grid sizes [nx, ny, nz], or null for Ewald. */
  get gridSize (): [number, number, number] | null {
    return this.pme === null ? null : [this.pme.gridX, this.pme.gridY, this.pme.gridZ]
  }

  compute (positionsNm: Float64Array, box: BoxVectors | null, forcesOut: Float64Array,
    energyByGroup: Float64Array, groupsMask: number): void {
    const includeDirect = (groupsMask & (1 << this.directGroup)) !== 0
    const includeReciprocal = (groupsMask & (1 << this.reciprocalGroup)) !== 0
    if (!includeDirect && !includeReciprocal) return
    if (box === null) {
      throw new InvalidBoxError(`This system uses periodic boundary conditions (NonbondedForce ${this.method}) but no periodic box was given.`)
    }
    const minimumWidth = MIN_BOX_WIDTH_IN_CUTOFFS * this.cutoffNm
    if (box[0] < minimumWidth || box[4] < minimumWidth || box[8] < minimumWidth) {
      throw new InvalidBoxError(`The periodic box (${box[0]}, ${box[4]}, ${box[8]} nm) is narrower than twice the nonbonded cutoff (${this.cutoffNm} nm).`)
    }
    if (includeReciprocal) {
      let energy = this.selfEnergy
      if (this.pme !== null) energy += this.pme.compute(positionsNm, this.charge, box, forcesOut)
      else energy += this.ewald!.compute(positionsNm, this.charge, box, forcesOut)
      if (this.dispersionPme !== null) energy += this.dispersionPme.compute(positionsNm, this.c6, box, forcesOut)
      energyByGroup[this.reciprocalGroup] += energy
    }
    if (includeDirect) {
      let energy = this.computeDirectPairs(positionsNm, box, forcesOut)
      energy += this.computeExclusionCorrections(positionsNm, this.exceptionsArePeriodic ? box : null, forcesOut)
      energy += this.exceptionPairs.compute(positionsNm, this.exceptionsArePeriodic ? box : null, forcesOut)
      energy += this.dispersionCoefficient / (box[0] * box[4] * box[8])
      energyByGroup[this.directGroup] += energy
    }
  }

  private refreshImageParameters (list: NeighborList): void {
    const count = list.imageCount
    if (this.imageCharge.length < count) {
      const capacity = Math.ceil(count * 1.25)
      this.imageCharge = new Float64Array(capacity)
      this.imageHalfSigma = new Float64Array(capacity)
      this.imageEpsilonFactor = new Float64Array(capacity)
      this.imageC6 = new Float64Array(capacity)
      this.imagePositions = new Float64Array(3 * capacity)
      this.imageForces = new Float64Array(3 * capacity)
    }
    const atoms = list.imageAtom
    for (let s = 0; s < count; s++) {
      const atom = atoms[s]
      this.imageCharge[s] = this.scaledCharge[atom]
      this.imageHalfSigma[s] = this.halfSigma[atom]
      this.imageEpsilonFactor[s] = this.epsilonFactor[atom]
      this.imageC6[s] = this.c6[atom]
    }
    this.parametersForBuild = list.buildCount
  }

  /** Pairs within the cutoff: erfc-screened Coulomb + LJ (switched). Returns kJ/mol. */
  private computeDirectPairs (positionsNm: Float64Array, box: BoxVectors, forcesOut: Float64Array): number {
    const list = this.neighborList
    list.update(positionsNm, box)
    if (this.parametersForBuild !== list.buildCount) this.refreshImageParameters(list)
    const imageCount = list.imageCount
    const position = this.imagePositions
    list.imagePositions(positionsNm, position)
    const imageForce = this.imageForces
    imageForce.fill(0, 0, 3 * imageCount)
    const homeCount = this.particleCount
    const homeImage = list.homeImage
    const start = list.start
    const neighbors = list.neighbors
    const halfSigma = this.imageHalfSigma
    const epsilonFactor = this.imageEpsilonFactor
    const charge = this.imageCharge
    const cutoff2 = this.cutoffNm * this.cutoffNm
    const useSwitch = this.useSwitch
    const switchStart = this.switchingDistanceNm
    const switchInverseWidth = 1 / (this.cutoffNm - this.switchingDistanceNm)
    const alpha = this.alphaPerNm
    const table = this.erfcTable.coefficients
    const tableScale = this.erfcTable.scale
    const alphaScale = alpha * tableScale
    const ljpme = this.dispersionPme !== null
    const c6 = this.imageC6
    const dispersionAlpha2 = this.dispersionAlphaPerNm * this.dispersionAlphaPerNm
    const inverseCutoff2 = 1 / cutoff2
    const inverseCutoff6 = inverseCutoff2 * inverseCutoff2 * inverseCutoff2
    const cutoffA2 = dispersionAlpha2 * cutoff2
    // 1 - exp(-a^2)(1 + a^2 + a^4/2) at the cutoff
    const cutoffDispersionFactor = 1 - Math.exp(-cutoffA2) * (1 + cutoffA2 + 0.5 * cutoffA2 * cutoffA2)

    let energyLJ = 0
    let energyCoulomb = 0
    for (let h = 0; h < homeCount; h++) {
      const si = homeImage[h]
      const i3 = 3 * si
      const xi = position[i3]; const yi = position[i3 + 1]; const zi = position[i3 + 2]
      const qi = charge[si]; const sigmaI = halfSigma[si]; const ei = epsilonFactor[si]; const c6i = c6[si]
      let fxi = 0; let fyi = 0; let fzi = 0
      const end = start[h + 1]
      for (let k = start[h]; k < end; k++) {
        const s = neighbors[k]
        const s3 = 3 * s
        const dx = position[s3] - xi
        const dy = position[s3 + 1] - yi
        const dz = position[s3 + 2] - zi
        const r2 = dx * dx + dy * dy + dz * dz
        if (r2 >= cutoff2) continue
        const r = Math.sqrt(r2)
        const inverseR = 1 / r
        const inverseR2 = inverseR * inverseR
        // dEdR below is -(dE/dr)/r as in OpenMM; the force on i is -dEdR (x_j - x_i)
        let dEdR = 0
        const chargeProd = qi * charge[s]
        if (chargeProd !== 0) {
          const u = r * alphaScale
          const cell = u | 0
          const t = u - cell
          const c = 4 * cell
          const erfcValue = table[c] + t * (table[c + 1] + t * (table[c + 2] + t * table[c + 3]))
          // d erfc(alpha r)/dr from the same cubic
          const erfcSlope = (table[c + 1] + t * (2 * table[c + 2] + 3 * t * table[c + 3])) * alphaScale
          energyCoulomb += chargeProd * erfcValue * inverseR
          dEdR = chargeProd * (erfcValue * inverseR - erfcSlope) * inverseR2
        }
        const eps = ei * epsilonFactor[s]
        if (eps !== 0) {
          const sigma = sigmaI + halfSigma[s]
          const sig2 = sigma * sigma * inverseR2
          const sig6 = sig2 * sig2 * sig2
          let lj = eps * (sig6 - 1) * sig6
          let ljDerivative = eps * (12 * sig6 - 6) * sig6
          if (useSwitch && r > switchStart) {
            const t = (r - switchStart) * switchInverseWidth
            const switchValue = 1 + t * t * t * (-10 + t * (15 - t * 6))
            const switchDerivative = t * t * (-30 + t * (60 - t * 30)) * switchInverseWidth
            ljDerivative = ljDerivative * switchValue - lj * switchDerivative * r
            lj *= switchValue
          }
          if (ljpme) {
            const c6ij = c6i * c6[s]
            const a2 = dispersionAlpha2 * r2
            const expTerm = Math.exp(-a2)
            const inverseR6 = inverseR2 * inverseR2 * inverseR2
            const poly = 1 + a2 + 0.5 * a2 * a2
            lj += c6ij * inverseR6 * (1 - expTerm * poly)
            ljDerivative += 6 * c6ij * inverseR6 * (1 - expTerm * (poly + a2 * a2 * a2 / 6))
            const sigma2 = sigma * sigma
            const sigma6c = sigma2 * sigma2 * sigma2 * inverseCutoff6
            lj += eps * (1 - sigma6c) * sigma6c - c6ij * inverseCutoff6 * cutoffDispersionFactor
          }
          energyLJ += lj
          dEdR += ljDerivative * inverseR2
        }
        const fx = dEdR * dx; const fy = dEdR * dy; const fz = dEdR * dz
        fxi -= fx; fyi -= fy; fzi -= fz
        imageForce[s3] += fx; imageForce[s3 + 1] += fy; imageForce[s3 + 2] += fz
      }
      imageForce[i3] += fxi; imageForce[i3 + 1] += fyi; imageForce[i3 + 2] += fzi
    }
    const imageAtom = list.imageAtom
    for (let s = 0; s < imageCount; s++) {
      const a3 = 3 * imageAtom[s]
      const s3 = 3 * s
      forcesOut[a3] += imageForce[s3]
      forcesOut[a3 + 1] += imageForce[s3 + 1]
      forcesOut[a3 + 2] += imageForce[s3 + 2]
    }
    return energyLJ + energyCoulomb
  }

  /** Removes the erf-screened Coulomb of every exception pair, which reciprocal space includes. Returns kJ/mol. */
  private computeExclusionCorrections (positionsNm: Float64Array, periodicBox: BoxVectors | null, forcesOut: Float64Array): number {
    const { exclusionP1, exclusionP2, exclusionChargeProd, exclusionC6 } = this
    const alpha = this.alphaPerNm
    const dispersionAlpha2 = this.dispersionAlphaPerNm * this.dispersionAlphaPerNm
    const delta = this.delta
    let energy = 0
    for (let e = 0; e < exclusionP1.length; e++) {
      const chargeProd = exclusionChargeProd[e]
      const c6ij = exclusionC6[e]
      if (chargeProd === 0 && c6ij === 0) continue
      const a = 3 * exclusionP1[e]
      const b = 3 * exclusionP2[e]
      delta[0] = positionsNm[b] - positionsNm[a]
      delta[1] = positionsNm[b + 1] - positionsNm[a + 1]
      delta[2] = positionsNm[b + 2] - positionsNm[a + 2]
      const r2 = periodicBox === null
        ? delta[0] * delta[0] + delta[1] * delta[1] + delta[2] * delta[2]
        : minimumImageInPlace(delta, 0, periodicBox)
      const r = Math.sqrt(r2)
      const alphaR = alpha * r
      const erfValue = erf(alphaR)
      if (erfValue > 1e-6) {
        const inverseR = 1 / r
        energy -= chargeProd * inverseR * erfValue
        const dEdR = chargeProd * inverseR * inverseR * inverseR * (erfValue - 2 * alphaR * Math.exp(-alphaR * alphaR) / SQRT_PI)
        const fx = dEdR * delta[0]; const fy = dEdR * delta[1]; const fz = dEdR * delta[2]
        forcesOut[a] += fx; forcesOut[a + 1] += fy; forcesOut[a + 2] += fz
        forcesOut[b] -= fx; forcesOut[b + 1] -= fy; forcesOut[b + 2] -= fz
      } else {
        energy -= alpha * (2 / SQRT_PI) * chargeProd
      }
      if (c6ij !== 0) {
        // LJPME: back out the dispersion mesh's contribution for this excluded pair.
        const inverseR2 = 1 / r2
        const inverseR6 = inverseR2 * inverseR2 * inverseR2
        const a2 = dispersionAlpha2 * r2
        const expTerm = Math.exp(-a2)
        const poly = 1 + a2 + 0.5 * a2 * a2
        energy += c6ij * inverseR6 * (1 - expTerm * poly)
        const dEdR = -6 * c6ij * inverseR6 * inverseR2 * (1 - expTerm * (poly + a2 * a2 * a2 / 6))
        const fx = dEdR * delta[0]; const fy = dEdR * delta[1]; const fz = dEdR * delta[2]
        forcesOut[a] += fx; forcesOut[a + 1] += fy; forcesOut[a + 2] += fz
        forcesOut[b] -= fx; forcesOut[b + 1] -= fy; forcesOut[b + 2] -= fz
      }
    }
    return energy
  }

}
