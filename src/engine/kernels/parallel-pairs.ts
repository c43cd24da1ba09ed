/**
 * A helper thread for the nonbonded kernel: while the calling thread works on
 * the first part of the home atoms, one worker thread runs the same code (the
 * source text of the self-contained functions `computePairRange` and
 * `searchPairRange`) over the rest. Arrays live in SharedArrayBuffers; the
 * two threads meet through Atomics.wait/notify on a shared control block (no
 * event loop and no message per step, so `compute` stays synchronous).
 * Arrays are posted to the worker only when they change (after a
 * neighbour-list build grew them); the worker reads them from its port
 * before each task.
 */
import { EngineError } from '../errors.ts'
import { searchPairRange } from './neighbor-search.ts'
import { computePairRange } from './pair-range.ts'
import { HelperWorker, type HelperWorkerSource } from './helper-worker.ts'

/** Control words (Int32 indices): REQUEST (0 idle, 1 pairs, 2 search, 3 stop) and DONE (0 busy, 1 done, 2 failed) as HelperWorker, then: */
const RESULT = 2
const PARAMETER = 3 // 5 integer parameters from here
const CONTROL_WORDS = 16
const TASK_PAIRS = 1
const TASK_SEARCH = 2
const TASK_STOP = 3

/** The arrays of the pair loop, all backed by SharedArrayBuffers. */
export interface SharedPairArrays {
  homeImage: Int32Array
  start: Int32Array
  pairedStart: Int32Array
  shellEnd: Int32Array
  neighbors: Int32Array
  /** 6 numbers per image, see computePairRange. */
  image: Float64Array
  settings: Float64Array
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
const searchPairRange = ${searchPairRange.toString()}
const energy = new Float64Array(workerData.energy)
const arrays = { ${TASK_PAIRS}: null, ${TASK_SEARCH}: null }
let imageForce = null
let stamp = new Int32Array(0)
let scratch = new Int32Array(0)
let scratchDistance2 = new Float64Array(0)`,
  takeMessage: `
      arrays[message.task] = message.arrays
      if (message.imageForce !== undefined) imageForce = message.imageForce`,
  runTask: `
    const p = ${PARAMETER}
    if (request === ${TASK_PAIRS}) {
      const a = arrays[${TASK_PAIRS}]
      imageForce.fill(0, 0, 3 * control[p + 2])
      computePairRange(control[p], control[p + 1], a.homeImage, a.start, a.pairedStart, a.shellEnd, control[p + 3], a.neighbors, a.image,
        imageForce, a.settings, energy)
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
      control[${RESULT}] = searchPairRange(control[p], control[p + 1], control[p + 2], a.homeImage, a.imageAtom, a.xyz,
        a.cellStart, a.grid, a.exclusionStart, a.exclusionPartners, a.hasLennardJones, stamp, a.start, a.pairedStart, a.shellEnd, a.neighbors, scratch, scratchDistance2, stride)
    }`,
}

export class ForceHelperThread extends HelperWorker {
  /** Energies of the helper's part of the pair loop: [LJ, Coulomb], kJ/mol. */
  readonly energy: Float64Array
  /** The helper's forces per image, kJ/mol/nm. */
  imageForce = new Float64Array(new SharedArrayBuffer(8))
  private readonly sent = new Map<number, Record<string, unknown>>()
  private sentForce: Float64Array | null = null

  constructor () {
    const energy = new Float64Array(new SharedArrayBuffer(16))
    super({ source: WORKER_SOURCE, controlWords: CONTROL_WORDS, workerData: { energy: energy.buffer }, stopRequest: TASK_STOP, label: 'nonbonded' })
    this.energy = energy
  }

  /** Starts the pair loop over homes [homeFrom, homeTo) into `imageForce` (zeroed first); returns at once. */
  startPairs (arrays: SharedPairArrays, imageCount: number, homeFrom: number, homeTo: number, shellLimit: number): void {
    if (this.imageForce.length < 3 * imageCount) {
      this.imageForce = new Float64Array(new SharedArrayBuffer(8 * Math.ceil(3 * imageCount * 1.25)))
    }
    const forceChanged = this.sentForce !== this.imageForce
    this.post(TASK_PAIRS, arrays as unknown as Record<string, unknown>, forceChanged ? this.imageForce : undefined)
    this.sentForce = this.imageForce
    this.begin(TASK_PAIRS, homeFrom, homeTo, imageCount, shellLimit, 0)
  }

  /** Starts the neighbour-list search over homes [homeFrom, homeTo) (see searchPairRange); returns at once. */
  startSearch (arrays: SharedSearchArrays, homeFrom: number, homeTo: number, firstPair: number, particleCount: number, scratchStride: number): void {
    this.post(TASK_SEARCH, arrays as unknown as Record<string, unknown>, undefined)
    this.begin(TASK_SEARCH, homeFrom, homeTo, firstPair, particleCount, scratchStride)
  }

  /** Waits for the helper's task to finish; returns its integer result (the search's return value; 0 when nothing ran). */
  finish (): number {
    return this.waitDone() ? this.control[RESULT] : 0
  }

  private post (task: number, arrays: Record<string, unknown>, imageForce: Float64Array | undefined): void {
    const previous = this.sent.get(task)
    let changed = previous === undefined || imageForce !== undefined
    if (!changed) for (const key of Object.keys(arrays)) if (arrays[key] !== previous![key]) { changed = true; break }
    if (!changed) return
    this.port.postMessage(imageForce === undefined ? { task, arrays } : { task, arrays, imageForce })
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
