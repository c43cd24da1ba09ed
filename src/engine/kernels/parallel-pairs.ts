/**
 * A helper thread for the nonbonded kernel: while the calling thread works on
 * the first part of the home atoms, one worker thread runs the same code (the
 * source text of the self-contained functions `computePairRange` and
 * `searchPairRange`) over the rest. Arrays live in SharedArrayBuffers; the
 * two threads meet through Atomics.wait/notify on a shared control block (no
 * event loop and no message per step, so `compute` stays synchronous).
 * Arrays are posted to the worker only when they change (after a
 * neighbour-list build grew them); the worker reads them from its port
 * before each task. For the pair loop the helper has its own image array
 * (no cache line written by both threads): it fills the image positions from
 * a shared copy of the positions, and sums its forces per atom, so that only
 * one force triple per atom crosses back.
 */
import { EngineError } from '../errors.ts'
import { searchPairRange, searchPairRangeInChunks } from './neighbor-search.ts'
import { computePairRange, computePairRangeInChunks, fillImagePositions, PART_TWO_FORCE, reduceImageForces } from './pair-range.ts'
import { HelperWorker, type HelperWorkerSource } from './helper-worker.ts'

/** Control words (Int32 indices): REQUEST (0 idle, 1 pairs, 2 search, 3 stop) and DONE (0 busy, 1 done, 2 failed) as HelperWorker, then: */
const RESULT = 2
const PARAMETER = 3 // 5 integer parameters from here
const CONTROL_WORDS = 16
const TASK_PAIRS = 1
const TASK_SEARCH = 2
const TASK_STOP = 3
/**
 * How long the helper watches for the next task before sleeping, ms (see HelperWorkerOptions): about one
 * step's work outside the pair loop; and the calling thread for the end of the helper's part (both parts
 * are about the same size, so it seldom waits long).
 */
const HELPER_SPIN_MS = 0.5
const CALLER_SPIN_MS = 0.1

/** The arrays of the pair loop, all backed by SharedArrayBuffers. */
export interface SharedPairArrays {
  homeImage: Int32Array
  start: Int32Array
  pairedStart: Int32Array
  shellEnd: Int32Array
  /** NeighborList.homeShellLimit. */
  shellLimits: Int32Array
  neighbors: Int32Array
  /** The helper's own image array (IMAGE_STRIDE per image, see computePairRange); its parameters are set by the calling thread. */
  image: Float64Array
  settings: Float64Array
  /** This step's positions (nm, 3 per atom), NeighborList.imageAtom and NeighborList.imageOffsetNm: the helper fills its image positions itself. */
  positions: Float64Array
  imageAtom: Int32Array
  imageOffset: Float64Array
  /** Where the helper sums its part's forces per atom (kJ/mol/nm, 3 per atom; see reduceImageForces). */
  atomForce: Float64Array
}

/** The arrays of the neighbour-list pair search (see searchPairRange), all backed by SharedArrayBuffers. */
export interface SharedSearchArrays {
  homeImage: Int32Array
  imageAtom: Int32Array
  xyz: Float64Array
  cellStart: Int32Array
  grid: Float64Array
  exclusionStart: Int32Array
  exclusionPartners: Int32Array
  hasLennardJones: Uint8Array
  /** The helper's own CSR offsets, class offsets and partners. */
  start: Int32Array
  pairedStart: Int32Array
  shellEnd: Int32Array
  neighbors: Int32Array
}

const WORKER_SOURCE: HelperWorkerSource = {
  setup: `
const computePairRange = ${computePairRange.toString()}
const computePairRangeInChunks = ${computePairRangeInChunks.toString()}
const fillImagePositions = ${fillImagePositions.toString()}
const reduceImageForces = ${reduceImageForces.toString()}
const searchPairRange = ${searchPairRange.toString()}
const searchPairRangeInChunks = ${searchPairRangeInChunks.toString()}
const energy = new Float64Array(workerData.energy)
const arrays = { ${TASK_PAIRS}: null, ${TASK_SEARCH}: null }
let stamp = new Int32Array(0)
let scratch = new Int32Array(0)
let scratchDistance2 = new Float64Array(0)`,
  takeMessage: `
      arrays[message.task] = message.arrays`,
  runTask: `
    const p = ${PARAMETER}
    if (request === ${TASK_PAIRS}) {
      const a = arrays[${TASK_PAIRS}]
      fillImagePositions(control[p + 2], a.positions, a.imageAtom, a.imageOffset, a.image)
      computePairRangeInChunks(control[p], control[p + 1], a.homeImage, a.start, a.pairedStart, a.shellEnd, a.shellLimits, a.neighbors, a.image,
        ${PART_TWO_FORCE}, a.settings, energy)
      reduceImageForces(control[p + 2], control[p + 3], a.imageAtom, a.image, ${PART_TWO_FORCE}, a.atomForce)
      control[${RESULT}] = 0
    } else {
      const a = arrays[${TASK_SEARCH}]
      const particleCount = control[p + 3]
      const stride = control[p + 4]
      if (stamp.length !== particleCount) stamp = new Int32Array(particleCount).fill(-1)
      if (scratchDistance2.length < stride) {
        scratch = new Int32Array(8 * stride)
        scratchDistance2 = new Float64Array(stride)
      }
      control[${RESULT}] = searchPairRangeInChunks(control[p], control[p + 1], control[p + 2], a.homeImage, a.imageAtom, a.xyz,
        a.cellStart, a.grid, a.exclusionStart, a.exclusionPartners, a.hasLennardJones, stamp, a.start, a.pairedStart, a.shellEnd, a.neighbors, scratch, scratchDistance2, stride)
    }`,
}

export class ForceHelperThread extends HelperWorker {
  /** Energies of the helper's part of the pair loop: [LJ, Coulomb], kJ/mol. */
  readonly energy: Float64Array
  private readonly sent = new Map<number, Record<string, unknown>>()

  constructor () {
    const energy = new Float64Array(new SharedArrayBuffer(16))
    super({ source: WORKER_SOURCE, controlWords: CONTROL_WORDS, workerData: { energy: energy.buffer }, stopRequest: TASK_STOP, label: 'nonbonded',
      helperSpinMs: HELPER_SPIN_MS, callerSpinMs: CALLER_SPIN_MS })
    this.energy = energy
  }

  /**
   * Starts the pair loop over homes [homeFrom, homeTo): the helper fills the positions of images
   * [0, imageCount) of `arrays.image` and zeroes their forces, adds this part's forces into the
   * PART_TWO_FORCE triples and sums those per atom into `arrays.atomForce`; returns at once.
   */
  startPairs (arrays: SharedPairArrays, imageCount: number, particleCount: number, homeFrom: number, homeTo: number): void {
    this.post(TASK_PAIRS, arrays as unknown as Record<string, unknown>)
    this.begin(TASK_PAIRS, homeFrom, homeTo, imageCount, particleCount, 0)
  }

  /** Starts the neighbour-list search over homes [homeFrom, homeTo) (see searchPairRange); returns at once. */
  startSearch (arrays: SharedSearchArrays, homeFrom: number, homeTo: number, firstPair: number, particleCount: number, scratchStride: number): void {
    this.post(TASK_SEARCH, arrays as unknown as Record<string, unknown>)
    this.begin(TASK_SEARCH, homeFrom, homeTo, firstPair, particleCount, scratchStride)
  }

  /** Waits for the helper's task to finish; returns its integer result (the search's return value; 0 when nothing ran). */
  finish (): number {
    return this.waitDone() ? this.control[RESULT] : 0
  }

  private post (task: number, arrays: Record<string, unknown>): void {
    const previous = this.sent.get(task)
    let changed = previous === undefined
    if (!changed) for (const key of Object.keys(arrays)) if (arrays[key] !== previous![key]) { changed = true; break }
    if (!changed) return
    this.port.postMessage({ task, arrays })
    this.sent.set(task, { ...arrays })
  }

  private begin (task: number, a: number, b: number, c: number, d: number, e: number): void {
    if (this.closed) throw new EngineError('The nonbonded helper thread was closed.')
    const control = this.control
    control[PARAMETER] = a
    control[PARAMETER + 1] = b
    control[PARAMETER + 2] = c
    control[PARAMETER + 3] = d
    control[PARAMETER + 4] = e
    this.request(task)
  }
}

/** Typed arrays backed by SharedArrayBuffers (for arrays the helper reads or writes). */
export function sharedFloat64 (length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(8 * Math.max(1, length)))
}
export function sharedInt32 (length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * Math.max(1, length)))
}
export function sharedUint8 (length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(Math.max(1, length)))
}
