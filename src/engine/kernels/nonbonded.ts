/**
 * NonbondedForce (Lennard-Jones + Coulomb) for NoCutoff, CutoffNonPeriodic and
 * CutoffPeriodic, exactly as OpenMM 7.7's Reference platform
 * (ReferenceCalcNonbondedForceKernel, ReferenceLJCoulombIxn,
 * ReferenceLJCoulomb14):
 *
 * - pairs: Lorentz-Berthelot, sigma = (si+sj)/2, eps = sqrt(ei ej),
 *   E_LJ = 4 eps ((sigma/r)^12 - (sigma/r)^6), times the switching function
 *   S(t) = 1 - 10t^3 + 15t^4 - 6t^5, t = (r-rs)/(rc-rs), when enabled;
 *   E_C = ONE_4PI_EPS0 qi qj / r without a cutoff, and with a cutoff the
 *   reaction field E_C = ONE_4PI_EPS0 qi qj (1/r + krf r^2 - crf),
 *   krf = rc^-3 (eps_s-1)/(2 eps_s+1), crf = rc^-1 3 eps_s/(2 eps_s+1);
 *   pairs beyond the cutoff contribute nothing.
 * - every exception removes its pair from the pair loop; exceptions with a
 *   non-zero chargeProd or epsilon are added back as plain Coulomb + LJ
 *   (no cutoff, no reaction field, no switching), with the minimum image only
 *   for CutoffPeriodic with exceptionsUsePeriodic set (OpenMM's default: off).
 * - CutoffPeriodic with useDispersionCorrection adds C / V (V = ax by cz).
 * Ewald, PME and LJPME are refused (UnsupportedForceError).
 */
import { InvalidBoxError, InvalidSystemError, UnsupportedForceError } from '../errors.ts'
import type { BoxVectors, NonbondedForce } from '../system.ts'
import { ONE_4PI_EPS0 } from './constants.ts'
import { dispersionCorrectionCoefficient } from './dispersion-correction.ts'
import { buildExclusionLists, type ExclusionLists } from './exclusions.ts'
import type { ForceKernel } from './kernel.ts'
import { NeighborList } from './neighbor-list.ts'
import { minimumImageInPlace } from './periodic.ts'

/** OpenMM refuses a box narrower than this many cutoffs. */
const MIN_BOX_WIDTH_IN_CUTOFFS = 1.999999

/** Options for tests and benchmarks. */
export interface NonbondedKernelOptions {
  /** Neighbour-list skin, nm (default 0.1). */
  skinNm?: number
}

/** A NonbondedForce as IO may give it: OpenMM's `exceptionsUsePeriodic` attribute, when read. */
type NonbondedForceInput = NonbondedForce & { readonly exceptionsUsePeriodic?: boolean }

export class NonbondedKernel implements ForceKernel {
  readonly forceType = 'NonbondedForce'
  private readonly force: NonbondedForce
  private readonly particleCount: number
  private readonly useCutoff: boolean
  private readonly periodic: boolean
  private readonly exceptionsArePeriodic: boolean
  private readonly cutoffNm: number
  private readonly useSwitch: boolean
  private readonly switchingDistanceNm: number
  /** Reaction-field constants krf (nm^-3) and crf (nm^-1). */
  private readonly krf: number
  private readonly crf: number
  private readonly dispersionCoefficient: number

  /** Per particle: sigma/2 (nm), 2 sqrt(epsilon) (kJ/mol)^1/2, charge sqrt(ONE_4PI_EPS0) e. */
  private readonly halfSigma: Float64Array
  private readonly epsilonFactor: Float64Array
  private readonly scaledCharge: Float64Array
  /** Exceptions that interact: atoms, sigma (nm), 4 epsilon (kJ/mol), ONE_4PI_EPS0 chargeProd. */
  private readonly pairP1: Int32Array
  private readonly pairP2: Int32Array
  private readonly pairSigma: Float64Array
  private readonly pairFourEpsilon: Float64Array
  private readonly pairChargeProd: Float64Array

  private readonly exclusions: ExclusionLists
  private readonly neighborList: NeighborList | null
  /** Per neighbour-list image (see NeighborList): parameters, positions (nm) and forces (kJ/mol/nm). */
  private imageCharge = new Float64Array(0)
  private imageHalfSigma = new Float64Array(0)
  private imageEpsilonFactor = new Float64Array(0)
  private imagePositions = new Float64Array(0)
  private imageForces = new Float64Array(0)
  private parametersForBuild = -1
  private readonly excludedStamp: Int32Array
  private readonly delta = new Float64Array(3)

  constructor (force: NonbondedForce, particleCount: number, options: NonbondedKernelOptions = {}) {
    if (force.method === 'Ewald' || force.method === 'PME' || force.method === 'LJPME') {
      throw new UnsupportedForceError(`NonbondedForce (${force.method})`)
    }
    if (force.charge.length !== particleCount) {
      throw new InvalidSystemError(`NonbondedForce has ${force.charge.length} particles but the System has ${particleCount}.`)
    }
    this.force = force
    this.particleCount = particleCount
    this.useCutoff = force.method !== 'NoCutoff'
    this.periodic = force.method === 'CutoffPeriodic'
    this.exceptionsArePeriodic = this.periodic && (force as NonbondedForceInput).exceptionsUsePeriodic === true
    this.cutoffNm = force.cutoffNm
    this.useSwitch = this.useCutoff && force.useSwitchingFunction
    this.switchingDistanceNm = force.switchingDistanceNm
    if (this.useCutoff && !(force.cutoffNm > 0)) {
      throw new InvalidSystemError(`NonbondedForce cutoff must be positive (got ${force.cutoffNm} nm).`)
    }
    if (this.useSwitch && !(force.switchingDistanceNm >= 0 && force.switchingDistanceNm < force.cutoffNm)) {
      throw new InvalidSystemError(`NonbondedForce switching distance (${force.switchingDistanceNm} nm) must lie between 0 and the cutoff (${force.cutoffNm} nm).`)
    }
    const solventDielectric = force.reactionFieldDielectric
    this.krf = Math.pow(force.cutoffNm, -3) * (solventDielectric - 1) / (2 * solventDielectric + 1)
    this.crf = (1 / force.cutoffNm) * (3 * solventDielectric) / (2 * solventDielectric + 1)
    this.dispersionCoefficient = this.periodic ? dispersionCorrectionCoefficient(force, particleCount) : 0

    const sqrtCoulomb = Math.sqrt(ONE_4PI_EPS0)
    this.halfSigma = new Float64Array(particleCount)
    this.epsilonFactor = new Float64Array(particleCount)
    this.scaledCharge = new Float64Array(particleCount)
    for (let i = 0; i < particleCount; i++) {
      this.halfSigma[i] = 0.5 * force.sigmaNm[i]
      this.epsilonFactor[i] = 2 * Math.sqrt(force.epsilon[i])
      this.scaledCharge[i] = sqrtCoulomb * force.charge[i]
    }

    let interacting = 0
    const exceptionCount = force.exceptionP1.length
    for (let e = 0; e < exceptionCount; e++) {
      if (force.exceptionChargeProd[e] !== 0 || force.exceptionEpsilon[e] !== 0) interacting++
    }
    this.pairP1 = new Int32Array(interacting)
    this.pairP2 = new Int32Array(interacting)
    this.pairSigma = new Float64Array(interacting)
    this.pairFourEpsilon = new Float64Array(interacting)
    this.pairChargeProd = new Float64Array(interacting)
    let slot = 0
    for (let e = 0; e < exceptionCount; e++) {
      if (force.exceptionChargeProd[e] === 0 && force.exceptionEpsilon[e] === 0) continue
      this.pairP1[slot] = force.exceptionP1[e]
      this.pairP2[slot] = force.exceptionP2[e]
      this.pairSigma[slot] = force.exceptionSigmaNm[e]
      this.pairFourEpsilon[slot] = 4 * force.exceptionEpsilon[e]
      this.pairChargeProd[slot] = ONE_4PI_EPS0 * force.exceptionChargeProd[e]
      slot++
    }

    this.exclusions = buildExclusionLists(particleCount, force.exceptionP1, force.exceptionP2)
    this.neighborList = this.useCutoff ? new NeighborList(particleCount, force.cutoffNm, this.exclusions, options.skinNm) : null
    this.excludedStamp = new Int32Array(particleCount).fill(-1)
  }

  /** Neighbour-list builds so far (0 for NoCutoff). */
  get neighborListBuilds (): number {
    return this.neighborList?.buildCount ?? 0
  }

  compute (positionsNm: Float64Array, box: BoxVectors | null, forcesOut: Float64Array,
    energyByGroup: Float64Array, groupsMask: number): void {
    const group = this.force.forceGroup
    if ((groupsMask & (1 << group)) === 0) return
    let energy: number
    if (this.periodic) {
      if (box === null) {
        throw new InvalidBoxError('This system uses periodic boundary conditions (NonbondedForce CutoffPeriodic) but no periodic box was given.')
      }
      const minimumWidth = MIN_BOX_WIDTH_IN_CUTOFFS * this.cutoffNm
      if (box[0] < minimumWidth || box[4] < minimumWidth || box[8] < minimumWidth) {
        throw new InvalidBoxError(`The periodic box (${box[0]}, ${box[4]}, ${box[8]} nm) is narrower than twice the nonbonded cutoff (${this.cutoffNm} nm).`)
      }
      energy = this.computeCutoffPairs(positionsNm, box, forcesOut)
      energy += this.dispersionCoefficient / (box[0] * box[4] * box[8])
    } else if (this.useCutoff) {
      energy = this.computeCutoffPairs(positionsNm, null, forcesOut)
    } else {
      energy = this.computeAllPairs(positionsNm, forcesOut)
    }
    energy += this.computeExceptions(positionsNm, this.exceptionsArePeriodic ? box : null, forcesOut)
    energyByGroup[group] += energy
  }

  /** Per-image copies of the particle parameters, refreshed after each neighbour-list build. */
  private refreshImageParameters (list: NeighborList): void {
    const count = list.imageCount
    if (this.imageCharge.length < count) {
      const capacity = Math.ceil(count * 1.25)
      this.imageCharge = new Float64Array(capacity)
      this.imageHalfSigma = new Float64Array(capacity)
      this.imageEpsilonFactor = new Float64Array(capacity)
      this.imagePositions = new Float64Array(3 * capacity)
      this.imageForces = new Float64Array(3 * capacity)
    }
    const atoms = list.imageAtom
    for (let s = 0; s < count; s++) {
      const atom = atoms[s]
      this.imageCharge[s] = this.scaledCharge[atom]
      this.imageHalfSigma[s] = this.halfSigma[atom]
      this.imageEpsilonFactor[s] = this.epsilonFactor[atom]
    }
    this.parametersForBuild = list.buildCount
  }

  /** Pairs from the neighbour list, reaction field, optional switching. Returns kJ/mol. */
  private computeCutoffPairs (positionsNm: Float64Array, box: BoxVectors | null, forcesOut: Float64Array): number {
    const list = this.neighborList!
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
    const krf = this.krf
    const twoKrf = 2 * this.krf
    const crf = this.crf
    const useSwitch = this.useSwitch
    const switchStart = this.switchingDistanceNm
    const switchInverseWidth = 1 / (this.cutoffNm - this.switchingDistanceNm)

    let energyLJ = 0
    let energyCoulomb = 0
    for (let h = 0; h < homeCount; h++) {
      const si = homeImage[h]
      const i3 = 3 * si
      const xi = position[i3]; const yi = position[i3 + 1]; const zi = position[i3 + 2]
      const qi = charge[si]; const sigmaI = halfSigma[si]; const ei = epsilonFactor[si]
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
        const inverseR = 1 / Math.sqrt(r2)
        const inverseR2 = inverseR * inverseR
        const chargeProd = qi * charge[s]
        energyCoulomb += chargeProd * (inverseR + krf * r2 - crf)
        // dEdR here is -(dE/dr)/r as in OpenMM; the force on i is -dEdR (x_j - x_i)
        let dEdR = chargeProd * (inverseR - twoKrf * r2)
        const eps = ei * epsilonFactor[s]
        if (eps !== 0) {
          const sigma = sigmaI + halfSigma[s]
          const sig2 = sigma * sigma * inverseR2
          const sig6 = sig2 * sig2 * sig2
          let lj = eps * (sig6 - 1) * sig6
          let ljDerivative = eps * (12 * sig6 - 6) * sig6
          if (useSwitch) {
            const r = r2 * inverseR
            if (r > switchStart) {
              const t = (r - switchStart) * switchInverseWidth
              const switchValue = 1 + t * t * t * (-10 + t * (15 - t * 6))
              const switchDerivative = t * t * (-30 + t * (60 - t * 30)) * switchInverseWidth
              ljDerivative = ljDerivative * switchValue - lj * switchDerivative * r
              lj *= switchValue
            }
          }
          energyLJ += lj
          dEdR += ljDerivative
        }
        dEdR *= inverseR2
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

  /** Every non-excluded pair, plain Coulomb + LJ (NoCutoff). Returns kJ/mol. */
  private computeAllPairs (positionsNm: Float64Array, forcesOut: Float64Array): number {
    const n = this.particleCount
    const halfSigma = this.halfSigma
    const epsilonFactor = this.epsilonFactor
    const charge = this.scaledCharge
    const stamp = this.excludedStamp
    stamp.fill(-1)
    const { start: exclusionStart, partners } = this.exclusions
    let energy = 0
    for (let i = 0; i < n; i++) {
      for (let e = exclusionStart[i]; e < exclusionStart[i + 1]; e++) stamp[partners[e]] = i
      const i3 = 3 * i
      const xi = positionsNm[i3]; const yi = positionsNm[i3 + 1]; const zi = positionsNm[i3 + 2]
      const qi = charge[i]; const si = halfSigma[i]; const ei = epsilonFactor[i]
      let fxi = 0; let fyi = 0; let fzi = 0
      for (let j = i + 1; j < n; j++) {
        if (stamp[j] === i) continue
        const j3 = 3 * j
        const dx = positionsNm[j3] - xi
        const dy = positionsNm[j3 + 1] - yi
        const dz = positionsNm[j3 + 2] - zi
        const r2 = dx * dx + dy * dy + dz * dz
        const inverseR = 1 / Math.sqrt(r2)
        const inverseR2 = inverseR * inverseR
        const chargeProd = qi * charge[j]
        energy += chargeProd * inverseR
        let dEdR = chargeProd * inverseR
        const eps = ei * epsilonFactor[j]
        if (eps !== 0) {
          const sigma = si + halfSigma[j]
          const sig2 = sigma * sigma * inverseR2
          const sig6 = sig2 * sig2 * sig2
          energy += eps * (sig6 - 1) * sig6
          dEdR += eps * (12 * sig6 - 6) * sig6
        }
        dEdR *= inverseR2
        const fx = dEdR * dx; const fy = dEdR * dy; const fz = dEdR * dz
        fxi -= fx; fyi -= fy; fzi -= fz
        forcesOut[j3] += fx; forcesOut[j3 + 1] += fy; forcesOut[j3 + 2] += fz
      }
      forcesOut[i3] += fxi; forcesOut[i3 + 1] += fyi; forcesOut[i3 + 2] += fzi
    }
    return energy
  }

  /** Exceptions with parameters (1-4 pairs): Coulomb + LJ, no cutoff or reaction field. Returns kJ/mol. */
  private computeExceptions (positionsNm: Float64Array, periodicBox: BoxVectors | null, forcesOut: Float64Array): number {
    const { pairP1, pairP2, pairSigma, pairFourEpsilon, pairChargeProd } = this
    const delta = this.delta
    let energy = 0
    for (let e = 0; e < pairP1.length; e++) {
      const a = 3 * pairP1[e]
      const b = 3 * pairP2[e]
      delta[0] = positionsNm[b] - positionsNm[a]
      delta[1] = positionsNm[b + 1] - positionsNm[a + 1]
      delta[2] = positionsNm[b + 2] - positionsNm[a + 2]
      const r2 = periodicBox === null
        ? delta[0] * delta[0] + delta[1] * delta[1] + delta[2] * delta[2]
        : minimumImageInPlace(delta, 0, periodicBox)
      const inverseR = 1 / Math.sqrt(r2)
      const inverseR2 = inverseR * inverseR
      const sig2 = pairSigma[e] * pairSigma[e] * inverseR2
      const sig6 = sig2 * sig2 * sig2
      const fourEpsilon = pairFourEpsilon[e]
      const chargeProd = pairChargeProd[e]
      energy += fourEpsilon * (sig6 - 1) * sig6 + chargeProd * inverseR
      const dEdR = (fourEpsilon * (12 * sig6 - 6) * sig6 + chargeProd * inverseR) * inverseR2
      const fx = dEdR * delta[0]; const fy = dEdR * delta[1]; const fz = dEdR * delta[2]
      forcesOut[a] -= fx; forcesOut[a + 1] -= fy; forcesOut[a + 2] -= fz
      forcesOut[b] += fx; forcesOut[b + 1] += fy; forcesOut[b + 2] += fz
    }
    return energy
  }
}
