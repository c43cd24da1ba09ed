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
 * This kernel refuses Ewald, PME and LJPME (UnsupportedForceError); Ewald and
 * PME have their own kernel (./ewald/).
 *
 * Speed: a Verlet list over cell lists (neighbor-list.ts), its pairs ordered
 * so that the loop's branches are predictable, flat per-image arrays, and
 * optionally a helper thread for half of the pair loop (MDSWARM_FORCE_THREADS=2
 * or `threads: 2`).
 */
import { InvalidBoxError, InvalidSystemError, UnsupportedForceError } from '../errors.ts'
import type { BoxVectors, NonbondedForce } from '../system.ts'
import { ONE_4PI_EPS0 } from './constants.ts'
import { dispersionCorrectionCoefficient } from './dispersion-correction.ts'
import { buildExclusionLists, type ExclusionLists } from './exclusions.ts'
import type { ForceKernel } from './kernel.ts'
import { homeIndexAtPair, NeighborList } from './neighbor-list.ts'
import { computePairRange } from './pair-range.ts'
import { ForceHelperThread, sharedFloat64 } from './parallel-pairs.ts'
import { HelperChoice, PARALLEL_MIN_ATOMS, resolveForceThreads } from './force-threads.ts'
import { ExceptionPairs } from './exception-pairs.ts'

/** OpenMM refuses a box narrower than this many cutoffs. */
const MIN_BOX_WIDTH_IN_CUTOFFS = 1.999999

/** Options for tests and benchmarks. */
export interface NonbondedKernelOptions {
  /** Neighbour-list skin, nm (default 0.1). */
  skinNm?: number
  /**
   * Threads for the cutoff pair loop and the neighbour-list search: 1, 2
   * (the calling thread and one helper thread) or 'auto' (see
   * force-threads.ts). Default: MDSWARM_FORCE_THREADS, else 'auto' on
   * machines with two or more cores. Results do not depend on it.
   */
  threads?: number | 'auto'
}

/** Below this many listed pairs the helper thread is not woken (it costs more than it saves). */
const PARALLEL_MIN_PAIRS = 20_000

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
  private readonly exceptionPairs: ExceptionPairs

  private readonly exclusions: ExclusionLists
  private readonly neighborList: NeighborList | null
  /** Per neighbour-list image (see NeighborList): [x, y, z, scaled charge, sigma/2, 2 sqrt(eps)], and forces (kJ/mol/nm). */
  private imageData: Float64Array = new Float64Array(0)
  private imageForces = new Float64Array(0)
  private parametersForBuild = -1
  /** [cutoff^2, krf, crf, useSwitch, switching distance, 1/(cutoff - switching distance)] for computePairRange. */
  private readonly pairSettings: Float64Array
  private readonly pairEnergy = new Float64Array(2)
  private readonly secondPartEnergy = new Float64Array(2)
  /** Forces per image of the second part of the pair loop when it runs on this thread. */
  private secondPartForces = new Float64Array(0)
  private helper: ForceHelperThread | null = null
  private readonly helperChoice: HelperChoice
  private readonly excludedStamp: Int32Array

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

    this.exceptionPairs = new ExceptionPairs(force)

    this.exclusions = buildExclusionLists(particleCount, force.exceptionP1, force.exceptionP2)
    const threads = resolveForceThreads(options.threads)
    if (this.useCutoff && (threads === 2 || (threads === 'auto' && particleCount >= PARALLEL_MIN_ATOMS))) this.helper = new ForceHelperThread()
    this.helperChoice = new HelperChoice(this.helper === null ? 1 : threads)
    this.neighborList = this.useCutoff
      ? new NeighborList(particleCount, force.cutoffNm, this.exclusions, options.skinNm, {
        ordering: {
          hasLennardJones: Uint8Array.from(force.epsilon, (epsilon) => epsilon !== 0 ? 1 : 0),
          switchingDistanceNm: this.useSwitch ? force.switchingDistanceNm : -1,
        },
        helper: this.helper,
      })
      : null
    this.pairSettings = this.helper !== null ? sharedFloat64(6) : new Float64Array(6)
    this.pairSettings.set([force.cutoffNm * force.cutoffNm, this.krf, this.crf, this.useSwitch ? 1 : 0,
      force.switchingDistanceNm, 1 / (force.cutoffNm - force.switchingDistanceNm)])
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
    energy += this.exceptionPairs.compute(positionsNm, this.exceptionsArePeriodic ? box : null, forcesOut)
    energyByGroup[group] += energy
  }

  /** Per-image copies of the particle parameters (slots 3..5 of `imageData`), refreshed after each neighbour-list build. */
  private refreshImageParameters (list: NeighborList): void {
    const count = list.imageCount
    if (this.imageData.length < 6 * count) {
      const capacity = Math.ceil(count * 1.25)
      this.imageData = this.helper !== null ? sharedFloat64(6 * capacity) : new Float64Array(6 * capacity)
      this.imageForces = new Float64Array(3 * capacity)
    }
    const data = this.imageData
    const atoms = list.imageAtom
    for (let s = 0; s < count; s++) {
      const atom = atoms[s]
      data[6 * s + 3] = this.scaledCharge[atom]
      data[6 * s + 4] = this.halfSigma[atom]
      data[6 * s + 5] = this.epsilonFactor[atom]
    }
    this.parametersForBuild = list.buildCount
  }

  /** Pairs from the neighbour list, reaction field, optional switching. Returns kJ/mol. */
  private computeCutoffPairs (positionsNm: Float64Array, box: BoxVectors | null, forcesOut: Float64Array): number {
    const list = this.neighborList!
    const wantHelper = this.helper !== null && this.helperChoice.useHelper()
    list.helperEnabled = wantHelper
    list.update(positionsNm, box)
    if (this.parametersForBuild !== list.buildCount) this.refreshImageParameters(list)
    const imageCount = list.imageCount
    const homeCount = this.particleCount
    // image positions (slots 0..2): x_atom + wrap shift + lattice shift, see NeighborList
    const data = this.imageData
    const imageAtom = list.imageAtom
    const offset = list.imageOffsetNm
    for (let s = 0; s < imageCount; s++) {
      const a3 = 3 * imageAtom[s]
      const s3 = 3 * s
      data[6 * s] = positionsNm[a3] + offset[s3]
      data[6 * s + 1] = positionsNm[a3 + 1] + offset[s3 + 1]
      data[6 * s + 2] = positionsNm[a3 + 2] + offset[s3 + 2]
    }
    const imageForce = this.imageForces
    imageForce.fill(0, 0, 3 * imageCount)

    // The pair loop in two parts, homes [0, split) and [split, N) with about half of the pairs each, each into
    // its own force buffer, summed in that order: the same bits whether the helper thread takes the second part or not.
    const split = homeIndexAtPair(list.start, homeCount, list.pairCount >>> 1)
    const shellLimit = list.shellLimit()
    const helper = wantHelper && list.pairCount >= PARALLEL_MIN_PAIRS ? this.helper : null
    const startedAt = performance.now()
    if (helper !== null) {
      helper.startPairs({
        homeImage: list.homeImage, start: list.start, pairedStart: list.pairedStart, shellEnd: list.shellEnd, neighbors: list.neighbors,
        image: this.imageData, settings: this.pairSettings,
      }, imageCount, split, homeCount, shellLimit)
    }
    const energy = this.pairEnergy
    let secondEnergy: Float64Array = this.secondPartEnergy
    let secondForce: Float64Array = this.secondPartForces
    try {
      computePairRange(0, split, list.homeImage, list.start, list.pairedStart, list.shellEnd, shellLimit, list.neighbors, data, imageForce, this.pairSettings, energy)
    } finally {
      helper?.finish()
    }
    if (helper !== null) {
      secondEnergy = helper.energy
      secondForce = helper.imageForce
    } else {
      if (secondForce.length < 3 * imageCount) {
        this.secondPartForces = new Float64Array(3 * Math.ceil(imageCount * 1.25))
        secondForce = this.secondPartForces
      }
      secondForce.fill(0, 0, 3 * imageCount)
      computePairRange(split, homeCount, list.homeImage, list.start, list.pairedStart, list.shellEnd, shellLimit, list.neighbors, data, secondForce, this.pairSettings, secondEnergy)
    }
    if (this.helper !== null && list.pairCount >= PARALLEL_MIN_PAIRS) this.helperChoice.record(performance.now() - startedAt)
    const total = (energy[0] + energy[1]) + (secondEnergy[0] + secondEnergy[1])
    for (let s = 0; s < imageCount; s++) {
      const a3 = 3 * imageAtom[s]
      const s3 = 3 * s
      forcesOut[a3] += imageForce[s3] + secondForce[s3]
      forcesOut[a3 + 1] += imageForce[s3 + 1] + secondForce[s3 + 1]
      forcesOut[a3 + 2] += imageForce[s3 + 2] + secondForce[s3 + 2]
    }
    return total
  }

  /** Stops the helper thread, if any (the kernel still works afterwards, on one thread). */
  close (): void {
    this.helper?.close()
    this.helper = null
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

}
