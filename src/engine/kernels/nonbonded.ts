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
 * so that the loop's branches are predictable, outer shells of once-distant
 * partners skipped per home until its atoms have moved enough, one flat array
 * per thread holding each image's position, parameters and forces, and
 * optionally a helper thread for half of the pair loop (MDSWARM_FORCE_THREADS=2
 * or `threads: 2`), which fills its own image positions and sums its own
 * forces per atom.
 */
import { InvalidBoxError, InvalidSystemError, UnsupportedForceError } from '../errors.ts'
import type { BoxVectors, NonbondedForce } from '../system.ts'
import { ONE_4PI_EPS0 } from './constants.ts'
import { dispersionCorrectionCoefficient } from './dispersion-correction.ts'
import { buildExclusionLists, type ExclusionLists } from './exclusions.ts'
import type { ForceKernel } from './kernel.ts'
import { homeIndexAtPair, NeighborList } from './neighbor-list.ts'
import { computePairRangeInChunks, fillImagePositions, IMAGE_STRIDE, PART_ONE_FORCE, PART_TWO_FORCE, reduceImageForces } from './pair-range.ts'
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
  /**
   * Per neighbour-list image (see NeighborList), IMAGE_STRIDE numbers: [x, y, z, scaled charge, sigma/2, 2 sqrt(eps),
   * forces of the pair loop's first part, of its second part (kJ/mol/nm)] (see computePairRange); the helper
   * thread, when there is one, has its own (`helperImageData`), of which it uses the second part's forces.
   */
  private imageData: Float64Array = new Float64Array(0)
  private helperImageData: Float64Array = new Float64Array(0)
  /** This step's positions where the helper thread can read them (nm, 3 per atom). */
  private readonly sharedPositions: Float64Array
  /** Forces of the pair loop's two parts summed per atom (kJ/mol/nm, 3 per atom; the second shared with the helper thread). */
  private readonly partOneAtomForce: Float64Array
  private readonly partTwoAtomForce: Float64Array
  private parametersForBuild = -1
  /** [cutoff^2, krf, crf, useSwitch, switching distance, 1/(cutoff - switching distance)] for computePairRange. */
  private readonly pairSettings: Float64Array
  private readonly pairEnergy = new Float64Array(2)
  private readonly secondPartEnergy = new Float64Array(2)
  private helper: ForceHelperThread | null = null
  private readonly helperChoice: HelperChoice

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
    this.sharedPositions = this.helper !== null ? sharedFloat64(3 * particleCount) : new Float64Array(0)
    this.partOneAtomForce = new Float64Array(3 * particleCount)
    this.partTwoAtomForce = this.helper !== null ? sharedFloat64(3 * particleCount) : new Float64Array(3 * particleCount)
    this.pairSettings = this.helper !== null ? sharedFloat64(6) : new Float64Array(6)
    this.pairSettings.set([force.cutoffNm * force.cutoffNm, this.krf, this.crf, this.useSwitch ? 1 : 0,
      force.switchingDistanceNm, 1 / (force.cutoffNm - force.switchingDistanceNm)])
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

  /** Per-image copies of the particle parameters (slots 3..5 of the image arrays), refreshed after each neighbour-list build. */
  private refreshImageParameters (list: NeighborList): void {
    const count = list.imageCount
    if (this.imageData.length < IMAGE_STRIDE * count) {
      const capacity = Math.ceil(count * 1.25)
      this.imageData = new Float64Array(IMAGE_STRIDE * capacity)
      if (this.helper !== null) this.helperImageData = sharedFloat64(IMAGE_STRIDE * capacity)
    }
    this.copyImageParameters(list, this.imageData)
    if (this.helper !== null) this.copyImageParameters(list, this.helperImageData)
    this.parametersForBuild = list.buildCount
  }

  private copyImageParameters (list: NeighborList, data: Float64Array): void {
    const atoms = list.imageAtom
    for (let s = 0; s < list.imageCount; s++) {
      const atom = atoms[s]
      data[IMAGE_STRIDE * s + 3] = this.scaledCharge[atom]
      data[IMAGE_STRIDE * s + 4] = this.halfSigma[atom]
      data[IMAGE_STRIDE * s + 5] = this.epsilonFactor[atom]
    }
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
    const data = this.imageData
    const imageAtom = list.imageAtom

    // The pair loop in two parts, homes [0, split) and [split, N) with about half of the pairs each, each into
    // its own force triples, summed in that order: the same bits whether the helper thread takes the second part or not.
    const split = homeIndexAtPair(list.start, homeCount, list.pairCount >>> 1)
    const shellLimits = list.homeShellLimit
    const helper = wantHelper && list.pairCount >= PARALLEL_MIN_PAIRS ? this.helper : null
    const startedAt = performance.now()
    if (helper !== null) {
      // the helper fills its own image positions (from a shared copy of the positions) while this thread fills its own
      this.sharedPositions.set(positionsNm)
      helper.startPairs({
        homeImage: list.homeImage, start: list.start, pairedStart: list.pairedStart, shellEnd: list.shellEnd, shellLimits, neighbors: list.neighbors,
        image: this.helperImageData, settings: this.pairSettings, positions: this.sharedPositions, imageAtom, imageOffset: list.imageOffsetNm,
        atomForce: this.partTwoAtomForce,
      }, imageCount, homeCount, split, homeCount)
    }
    const energy = this.pairEnergy
    const partOne = this.partOneAtomForce
    const partTwo = this.partTwoAtomForce
    let secondEnergy: Float64Array = this.secondPartEnergy
    try {
      fillImagePositions(imageCount, positionsNm, imageAtom, list.imageOffsetNm, data)
      computePairRangeInChunks(0, split, list.homeImage, list.start, list.pairedStart, list.shellEnd, shellLimits, list.neighbors, data, PART_ONE_FORCE,
        this.pairSettings, energy)
      reduceImageForces(imageCount, homeCount, imageAtom, data, PART_ONE_FORCE, partOne)
    } finally {
      helper?.finish()
    }
    if (helper !== null) {
      secondEnergy = helper.energy
    } else {
      computePairRangeInChunks(split, homeCount, list.homeImage, list.start, list.pairedStart, list.shellEnd, shellLimits, list.neighbors, data, PART_TWO_FORCE,
        this.pairSettings, secondEnergy)
      reduceImageForces(imageCount, homeCount, imageAtom, data, PART_TWO_FORCE, partTwo)
    }
    if (this.helper !== null && list.pairCount >= PARALLEL_MIN_PAIRS) this.helperChoice.record(performance.now() - startedAt)
    const total = (energy[0] + energy[1]) + (secondEnergy[0] + secondEnergy[1])
    for (let k = 0; k < 3 * homeCount; k++) forcesOut[k] += partOne[k] + partTwo[k]
    return total
  }

  /** Rebuilds the neighbour list at the next evaluation (see NeighborList.restart). */
  restartNeighborList (): void {
    this.neighborList?.restart()
  }

  /** Stops the helper thread, if any (the kernel still works afterwards, on one thread). */
  close (): void {
    this.helper?.close()
    this.helper = null
  }

  /**
   * Every non-excluded pair, plain Coulomb + LJ (NoCutoff). Returns kJ/mol.
   * The partners j > i of atom i are visited in runs between its excluded
   * partners (sorted), so the pair loop itself has no exclusion test.
   */
  private computeAllPairs (positionsNm: Float64Array, forcesOut: Float64Array): number {
    const n = this.particleCount
    const halfSigma = this.halfSigma
    const epsilonFactor = this.epsilonFactor
    const charge = this.scaledCharge
    const { start: exclusionStart, partners } = this.exclusions
    let energy = 0
    for (let i = 0; i < n; i++) {
      const i3 = 3 * i
      const xi = positionsNm[i3]; const yi = positionsNm[i3 + 1]; const zi = positionsNm[i3 + 2]
      const qi = charge[i]; const si = halfSigma[i]; const ei = epsilonFactor[i]
      let fxi = 0; let fyi = 0; let fzi = 0
      let e = exclusionStart[i]
      const exclusionEnd = exclusionStart[i + 1]
      while (e < exclusionEnd && partners[e] <= i) e++
      let j = i + 1
      while (j < n) {
        let runEnd = n
        if (e < exclusionEnd) runEnd = partners[e++]
        for (; j < runEnd; j++) {
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
        j = runEnd + 1
      }
      forcesOut[i3] += fxi; forcesOut[i3 + 1] += fyi; forcesOut[i3 + 2] += fzi
    }
    return energy
  }

}
