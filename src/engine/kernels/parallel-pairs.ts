/**
 * A helper thread for the nonbonded pair loop: while the calling thread runs
 * `computePairRange` over the first part of the neighbour list, one worker
 * thread runs the same function (its source text, see pair-range.ts) over the
 * rest, into its own force buffer. Arrays live in SharedArrayBuffers; the two
 * threads meet through Atomics (no event loop needed, so `compute` stays
 * synchronous).
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads'
import { EngineError } from '../errors.ts'
import { computePairRange } from './pair-range.ts'

/** Control words (Int32 indices). */
const REQUEST = 0 // 0 idle, 1 compute, 2 stop
const DONE = 1 // 0 busy, 1 done, 2 failed
const HOME_FROM = 2
const HOME_TO = 3
const IMAGE_COUNT = 4
const CONTROL_WORDS = 8
/** Longest wait for the helper thread before giving up, ms. */
const WORKER_TIMEOUT_MS = 60_000

/** The arrays the helper reads and writes, all backed by SharedArrayBuffers. */
export interface SharedPairArrays {
  homeImage: Int32Array
  start: Int32Array
  neighbors: Int32Array
  /** 6 numbers per image, see computePairRange. */
  image: Float64Array
  settings: Float64Array
}

const WORKER_SOURCE = `
'use strict'
const { workerData, receiveMessageOnPort } = require('node:worker_threads')
const computePairRange = ${computePairRange.toString()}
const control = new Int32Array(workerData.control)
const energy = new Float64Array(workerData.energy)
const port = workerData.port
let arrays = null
let imageForce = null
for (;;) {
  Atomics.wait(control, ${REQUEST}, 0)
  const request = Atomics.load(control, ${REQUEST})
  if (request === 2) break
  try {
    for (let message = receiveMessageOnPort(port); message !== undefined; message = receiveMessageOnPort(port)) {
      arrays = message.message.arrays
      imageForce = message.message.imageForce
    }
    imageForce.fill(0, 0, 3 * control[${IMAGE_COUNT}])
    computePairRange(control[${HOME_FROM}], control[${HOME_TO}], arrays.homeImage, arrays.start, arrays.neighbors,
      arrays.image, imageForce, arrays.settings, energy)
    Atomics.store(control, ${DONE}, 1)
  } catch (error) {
    Atomics.store(control, ${DONE}, 2)
  }
  Atomics.store(control, ${REQUEST}, 0)
  Atomics.notify(control, ${DONE})
}
`

export class PairLoopHelper {
  private readonly worker: Worker
  private readonly port: MessagePort
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS))
  /** Energies of the helper's part: [LJ, Coulomb], kJ/mol. */
  readonly energy = new Float64Array(new SharedArrayBuffer(16))
  /** The helper's forces per image, kJ/mol/nm. */
  imageForce = new Float64Array(new SharedArrayBuffer(8))
  private sentArrays: SharedPairArrays | null = null
  private sentForce: Float64Array | null = null
  private running = false

  constructor () {
    const channel = new MessageChannel()
    this.port = channel.port1
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // plain JavaScript: no loaders (an inherited --import hook would need this, blocked, thread to start)
      execArgv: [],
      workerData: { control: this.control.buffer, energy: this.energy.buffer, port: channel.port2 },
      transferList: [channel.port2],
    })
    this.worker.unref()
    this.port.unref()
  }

  /** Starts the helper on homes [homeFrom, homeTo); returns at once. */
  start (arrays: SharedPairArrays, imageCount: number, homeFrom: number, homeTo: number): void {
    if (this.imageForce.length < 3 * imageCount) {
      this.imageForce = new Float64Array(new SharedArrayBuffer(8 * Math.ceil(3 * imageCount * 1.25)))
    }
    if (!sameArrays(arrays, this.sentArrays) || this.sentForce !== this.imageForce) {
      this.port.postMessage({ arrays, imageForce: this.imageForce })
      this.sentArrays = { ...arrays }
      this.sentForce = this.imageForce
    }
    this.control[HOME_FROM] = homeFrom
    this.control[HOME_TO] = homeTo
    this.control[IMAGE_COUNT] = imageCount
    Atomics.store(this.control, DONE, 0)
    Atomics.store(this.control, REQUEST, 1)
    Atomics.notify(this.control, REQUEST)
    this.running = true
  }

  /** Waits for the helper's part to finish. */
  finish (): void {
    if (!this.running) return
    this.running = false
    const deadline = Date.now() + WORKER_TIMEOUT_MS
    while (Atomics.load(this.control, DONE) === 0) {
      if (Atomics.wait(this.control, DONE, 0, 1000) === 'timed-out' && Date.now() > deadline) {
        throw new EngineError('The nonbonded helper thread did not answer; run with MDSWARM_FORCE_THREADS=1.')
      }
    }
    if (Atomics.load(this.control, DONE) === 2) {
      throw new EngineError('The nonbonded helper thread failed; run with MDSWARM_FORCE_THREADS=1.')
    }
  }

  /** Stops the helper thread. */
  close (): void {
    Atomics.store(this.control, REQUEST, 2)
    Atomics.notify(this.control, REQUEST)
    void this.worker.terminate()
    this.port.close()
  }
}

function sameArrays (a: SharedPairArrays, b: SharedPairArrays | null): boolean {
  if (b === null) return false
  return a.homeImage === b.homeImage && a.start === b.start && a.neighbors === b.neighbors && a.image === b.image &&
    a.settings === b.settings
}

/** Typed arrays backed by SharedArrayBuffers (for arrays the helper reads). */
export function sharedFloat64 (length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(8 * Math.max(1, length)))
}
export function sharedInt32 (length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * Math.max(1, length)))
}
