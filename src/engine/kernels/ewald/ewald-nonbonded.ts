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
 *
 * Speed: the direct-space pairs come from the shared Verlet list
 * (neighbor-list.ts) with its pair classes (Coulomb-only pairs apart) and
 * skin shells, in a self-contained loop (ewald-pair-range.ts) over flat
 * per-image arrays; erfc from a cubic table. With a helper thread
 * (`threads`, MDSWARM_FORCE_THREADS, see force-threads.ts) the pair loop's
 * chunks are shared: the helper starts on them at once while this thread
 * does reciprocal space, then joins in; the neighbour-list search is split
 * with the cutoff kernel's helper machinery (parallel-pairs.ts). Chunks are
 * fixed by the list and summed in order, so results are bit-for-bit the
 * same with one thread or two.
 */
import { InvalidBoxError, InvalidSystemError, UnsupportedForceError } from '../../errors.ts'
import type { BoxVectors, NonbondedForce, System } from '../../system.ts'
import { ONE_4PI_EPS0 } from '../constants.ts'
import { dispersionCorrectionCoefficient } from '../dispersion-correction.ts'
import { buildExclusionLists, type ExclusionLists } from '../exclusions.ts'
import type { ForceKernel } from '../kernel.ts'
import { NeighborList } from '../neighbor-list.ts'
import { PairChunks } from '../pair-chunks.ts'
import { displacementInto } from '../periodic.ts'
import { ExceptionPairs } from '../exception-pairs.ts'
import { ForceHelperThread, sharedFloat64 } from '../parallel-pairs.ts'
import { HelperChoice, PARALLEL_MIN_ATOMS, resolveForceThreads } from '../force-threads.ts'
import { erf, ErfcTable } from './erfc.ts'
import { computeEwaldChunks, computeEwaldPairRange } from './ewald-pair-range.ts'
import { fillImagePositions, fillImagePositionsOnce, IMAGE_STRIDE } from '../image-positions.ts'
import { SharedFunctionThread } from './shared-function-thread.ts'
import { ewaldParameters, ljpmeParameters, pmeParameters } from './ewald-parameters.ts'
import { EwaldReciprocal } from './ewald-reciprocal.ts'
import { PmeReciprocal } from './pme-reciprocal.ts'

/** OpenMM refuses a box narrower than this many cutoffs. */
const MIN_BOX_WIDTH_IN_CUTOFFS = 1.999999
const SQRT_PI = Math.sqrt(Math.PI)
/** Table intervals per unit of alpha r. */
const ERFC_TABLE_RESOLUTION = 256
/** Below this many listed pairs the helper thread is not woken (it costs more than it saves). */
const PARALLEL_MIN_PAIRS = 20_000
/** The helper thread's function index for computeEwaldChunks. */
const TASK_CHUNKS = 2

/** The arguments of computeEwaldChunks, in order. */
type ChunkArguments = [Int32Array, number, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array,
  number, Int32Array, Float64Array, Float64Array, number, Float64Array, Float64Array, Float64Array, Float64Array, Int32Array, Float64Array,
  number]

export interface EwaldNonbondedKernelOptions {
  /** Neighbour-list skin, nm (default: the neighbour list's, 0.2). */
  skinNm?: number
  /**
   * Threads for the direct-space pair loop and the neighbour-list search:
   * 1, 2 (the calling thread and one helper thread) or 'auto' (see
   * force-threads.ts). Default: MDSWARM_FORCE_THREADS, else 'auto' on
   * machines with two or more cores. Results do not depend on it.
   */
  threads?: number | 'auto'
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
  private readonly directGroup: number
  private readonly reciprocalGroup: number
  private readonly cutoffNm: number
  private readonly useSwitch: boolean
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
  /** Per neighbour-list image: [x, y, z, scaled charge, sigma/2, 2 sqrt(eps), c6, 0] (see computeEwaldPairRange). */
  private imageData: Float64Array = new Float64Array(0)
  private parametersForBuild = -1
  /** See computeEwaldPairRange. */
  private readonly pairSettings: Float64Array
  private readonly erfcCoefficients: Float64Array
  /** The pair loop's chunks (see computeEwaldChunks and PairChunks), set after each neighbour-list build. */
  private readonly chunks: PairChunks
  private readonly chunkArgs: ChunkArguments
  /** This step's positions (nm) and the images' offsets (nm, see NeighborList), where the helper thread can read them. */
  private readonly positionsCopy: Float64Array
  private imageOffsetCopy: Float64Array = new Float64Array(0)
  /** Helper threads: the neighbour-list search (shared with the cutoff kernel's machinery) and the pair loop. */
  private searchHelper: ForceHelperThread | null = null
  private pairHelper: SharedFunctionThread | null = null
  private readonly helperChoice: HelperChoice
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
    this.directGroup = force.forceGroup
    this.reciprocalGroup = force.reciprocalSpaceForceGroup >= 0 ? force.reciprocalSpaceForceGroup : force.forceGroup
    this.cutoffNm = force.cutoffNm
    // OpenMM's Reference platform turns the switching function off for LJPME.
    this.useSwitch = force.useSwitchingFunction && force.method !== 'LJPME'
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
    const threads = resolveForceThreads(options.threads)
    if (threads === 2 || (threads === 'auto' && n >= PARALLEL_MIN_ATOMS)) {
      this.searchHelper = new ForceHelperThread()
      this.pairHelper = new SharedFunctionThread([computeEwaldPairRange, fillImagePositions, computeEwaldChunks, fillImagePositionsOnce])
    }
    this.helperChoice = new HelperChoice(this.pairHelper === null ? 1 : threads)
    const shared = this.pairHelper !== null
    this.neighborList = new NeighborList(n, force.cutoffNm, this.exclusions, options.skinNm, {
      ordering: {
        hasLennardJones: Uint8Array.from(force.epsilon, (epsilon) => epsilon !== 0 ? 1 : 0),
        switchingDistanceNm: this.useSwitch ? force.switchingDistanceNm : -1,
      },
      helper: this.searchHelper,
    })
    const table = this.erfcTable.coefficients
    this.erfcCoefficients = shared ? sharedFloat64(table.length) : table
    if (shared) this.erfcCoefficients.set(table)
    this.chunks = new PairChunks(shared)
    this.positionsCopy = shared ? sharedFloat64(3 * n) : new Float64Array(3 * n)
    const cutoff2 = force.cutoffNm * force.cutoffNm
    const dispersionAlpha2 = this.dispersionAlphaPerNm * this.dispersionAlphaPerNm
    const cutoffA2 = dispersionAlpha2 * cutoff2
    this.pairSettings = shared ? sharedFloat64(9) : new Float64Array(9)
    this.pairSettings.set([
      cutoff2, this.alphaPerNm * this.erfcTable.scale, this.useSwitch ? 1 : 0, force.switchingDistanceNm,
      1 / (force.cutoffNm - force.switchingDistanceNm), force.method === 'LJPME' ? 1 : 0, dispersionAlpha2, 1 / (cutoff2 * cutoff2 * cutoff2),
      // 1 - exp(-a^2)(1 + a^2 + a^4/2) at the cutoff
      1 - Math.exp(-cutoffA2) * (1 + cutoffA2 + 0.5 * cutoffA2 * cutoffA2),
    ])
    const chunks = this.chunks
    this.chunkArgs = [chunks.ticket, 0, chunks.home, chunks.imageLow, chunks.imageHigh, chunks.home, chunks.home,
      chunks.home, chunks.home, 0, chunks.home, this.imageData, chunks.force, 0, this.pairSettings, this.erfcCoefficients,
      chunks.energy, this.positionsCopy, chunks.home, this.imageOffsetCopy, 0]
  }

  /** Rebuilds the neighbour list at the next evaluation (see NeighborList.restart). */
  restartNeighborList (): void {
    this.neighborList.restart()
  }

  /** Stops the helper threads, if any (the kernel still works afterwards, on one thread). */
  close (): void {
    this.searchHelper?.close()
    this.searchHelper = null
    this.pairHelper?.close()
    this.pairHelper = null
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
    // The direct-space pair loop runs in chunks that a helper thread, when there is one, starts on at once,
    // while this thread does reciprocal space and then joins in (see computeEwaldChunks).
    const helper = includeDirect ? this.prepareDirectPairs(positionsNm, box) : null
    const startedAt = performance.now()
    if (helper !== null) helper.start(TASK_CHUNKS, this.chunkArguments())
    try {
      if (includeReciprocal) {
        let energy = this.selfEnergy
        if (this.pme !== null) energy += this.pme.compute(positionsNm, this.charge, box, forcesOut)
        else energy += this.ewald!.compute(positionsNm, this.charge, box, forcesOut)
        if (this.dispersionPme !== null) energy += this.dispersionPme.compute(positionsNm, this.c6, box, forcesOut)
        energyByGroup[this.reciprocalGroup] += energy
      }
      if (includeDirect) {
        const args = this.chunkArguments()
        computeEwaldChunks(args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7], args[8], args[9], args[10],
          args[11], args[12], args[13], args[14], args[15], args[16], args[17], args[18], args[19], args[20])
      }
    } finally {
      helper?.finish()
    }
    if (includeDirect) {
      // (only whole evaluations are timed, so that the two ways are compared on the same work)
      if (this.pairHelper !== null && includeReciprocal && this.neighborList.pairCount >= PARALLEL_MIN_PAIRS) {
        this.helperChoice.record(performance.now() - startedAt)
      }
      let energy = this.chunks.sum(this.neighborList.imageAtom, forcesOut)
      energy += this.computeExclusionCorrections(positionsNm, this.exceptionsArePeriodic ? box : null, forcesOut)
      energy += this.exceptionPairs.compute(positionsNm, this.exceptionsArePeriodic ? box : null, forcesOut)
      energy += this.dispersionCoefficient / (box[0] * box[4] * box[8])
      energyByGroup[this.directGroup] += energy
    }
  }

  /** Per-image copies of the particle parameters (slots 3..6 of `imageData`), refreshed after each neighbour-list build. */
  private refreshImageParameters (list: NeighborList): void {
    const count = list.imageCount
    if (this.imageData.length < IMAGE_STRIDE * count) {
      const capacity = Math.ceil(count * 1.25)
      this.imageData = this.pairHelper !== null ? sharedFloat64(IMAGE_STRIDE * capacity) : new Float64Array(IMAGE_STRIDE * capacity)
    }
    const data = this.imageData
    const atoms = list.imageAtom
    for (let s = 0; s < count; s++) {
      const atom = atoms[s]
      const s8 = IMAGE_STRIDE * s
      data[s8 + 3] = this.scaledCharge[atom]
      data[s8 + 4] = this.halfSigma[atom]
      data[s8 + 5] = this.epsilonFactor[atom]
      data[s8 + 6] = this.c6[atom]
    }
    if (this.imageOffsetCopy.length < 3 * count) {
      const capacity = 3 * Math.ceil(count * 1.25)
      this.imageOffsetCopy = this.pairHelper !== null ? sharedFloat64(capacity) : new Float64Array(capacity)
    }
    this.imageOffsetCopy.set(list.imageOffsetNm.subarray(0, 3 * count))
    this.parametersForBuild = list.buildCount
  }

  /**
   * Updates the neighbour list (its search split with the helper thread when
   * it pays), the image positions and the chunks; resets the chunk ticket.
   * Returns the helper thread to use for the pair loop, or null.
   */
  private prepareDirectPairs (positionsNm: Float64Array, box: BoxVectors): SharedFunctionThread | null {
    const list = this.neighborList
    const wantHelper = this.pairHelper !== null && this.helperChoice.useHelper()
    list.helperEnabled = wantHelper
    list.update(positionsNm, box)
    if (this.parametersForBuild !== list.buildCount) this.refreshImageParameters(list)
    if (this.chunks.forBuild !== list.buildCount) this.chunks.refresh(list)
    // the image positions are written by computeEwaldChunks (on the helper thread, when there is one)
    this.positionsCopy.set(positionsNm)
    this.chunks.resetTicket()
    return wantHelper && list.pairCount >= PARALLEL_MIN_PAIRS && this.chunks.count > 1 ? this.pairHelper : null
  }

  /** The arguments of computeEwaldChunks for the current list (one array, refilled). */
  private chunkArguments (): ChunkArguments {
    const list = this.neighborList
    const args = this.chunkArgs
    args[1] = this.chunks.count
    args[5] = list.homeImage; args[6] = list.start; args[7] = list.pairedStart; args[8] = list.shellEnd
    args[9] = list.shellLimit(); args[10] = list.neighbors
    args[11] = this.imageData; args[12] = this.chunks.force; args[13] = this.chunks.stride
    args[18] = list.imageAtom; args[19] = this.imageOffsetCopy; args[20] = list.imageCount
    return args
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
      const r2 = displacementInto(positionsNm, a, b, periodicBox, delta, 0)
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
