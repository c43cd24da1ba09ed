/**
 * One helper thread of a force kernel: plain JavaScript source run in a
 * worker, driven through a shared Int32Array control block whose word
 * REQUEST_WORD holds the request (the stop request ends the worker's loop)
 * and DONE_WORD the state (0 busy, 1 done, 2 failed). Arrays go over a
 * message port once; each step then costs an Atomics store and notify.
 * The base of the reaction-field pair loop's helper (parallel-pairs.ts) and
 * the PME direct-space loop's (ewald/shared-function-thread.ts).
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads'
import { EngineError } from '../errors.ts'

const REQUEST_WORD = 0
const DONE_WORD = 1
/** Longest wait for the helper thread before giving up, ms. */
const WORKER_TIMEOUT_MS = 60_000

/** Terminates the worker of a helper that was garbage-collected without close(). */
const abandoned = new FinalizationRegistry<{ worker: Worker, control: Int32Array, stopRequest: number }>((held) => {
  Atomics.store(held.control, REQUEST_WORD, held.stopRequest)
  Atomics.notify(held.control, REQUEST_WORD)
  void held.worker.terminate()
})

/**
 * The worker's own parts, JavaScript source text. The loop around them
 * waits for a request, drains the port, runs the task and reports done or
 * failed. In scope: `workerData`, `control` (the control block), `port`,
 * `request` (in takeMessage and runTask) and `message` (in takeMessage: one
 * posted message).
 */
export interface HelperWorkerSource {
  /** Declarations before the loop (functions, views of workerData's buffers). */
  readonly setup: string
  /** Takes one posted message (arrays that changed). */
  readonly takeMessage: string
  /** Runs the task `request` names. */
  readonly runTask: string
}

function workerSource (parts: HelperWorkerSource, stopRequest: number, spinMs: number): string {
  return `
'use strict'
const { workerData, receiveMessageOnPort } = require('node:worker_threads')
const control = new Int32Array(workerData.control)
const port = workerData.port
// Waits for the next request and consumes it (the word back to 0) before its task runs: the caller hands over the
// next request as soon as it sees DONE, so a reset after DONE could land on that request, and lose it, if this
// thread were descheduled between the two stores. The stop request stays in the word.
function takeRequest () {
  if (${spinMs} > 0 && Atomics.load(control, ${REQUEST_WORD}) === 0) {
    // the next request usually comes soon (the next step): watch for it a while before sleeping (a wake-up costs more)
    const until = performance.now() + ${spinMs}
    while (Atomics.load(control, ${REQUEST_WORD}) === 0 && performance.now() < until) {}
  }
  // a wake-up can find the word still 0: the notify of a request this thread already took (the caller stores the
  // request, then notifies, and may be descheduled in between) arrives once that request is done; wait again
  let request = 0
  while (request === 0) {
    Atomics.wait(control, ${REQUEST_WORD}, 0)
    request = Atomics.load(control, ${REQUEST_WORD})
  }
  if (request !== ${stopRequest}) Atomics.compareExchange(control, ${REQUEST_WORD}, request, 0)
  return request
}
function report (state) {
  Atomics.store(control, ${DONE_WORD}, state)
  Atomics.notify(control, ${DONE_WORD})
}
let ready = false
try {
  ${parts.setup}
  ready = true
  for (let request = takeRequest(); request !== ${stopRequest}; request = takeRequest()) {
    try {
      for (let received = receiveMessageOnPort(port); received !== undefined; received = receiveMessageOnPort(port)) {
        const message = received.message
        ${parts.takeMessage}
      }
      ${parts.runTask}
      report(1)
    } catch (error) {
      report(2)
    }
  }
} catch (error) {
  if (ready) throw error
  // the setup failed: answer every request "failed" until stopped, so the caller gets an error at once, not a timeout
  for (let request = takeRequest(); request !== ${stopRequest}; request = takeRequest()) report(2)
}
`
}

export interface HelperWorkerOptions {
  readonly source: HelperWorkerSource
  /** Int32 words of the control block (REQUEST_WORD and DONE_WORD first, the rest the subclass's). */
  readonly controlWords: number
  /** More workerData (SharedArrayBuffers). */
  readonly workerData: Record<string, unknown>
  /** The request value that ends the worker's loop. */
  readonly stopRequest: number
  /** What the helper computes, for error messages ("nonbonded", "PME"). */
  readonly label: string
  /**
   * How long (ms) the helper watches for the next request after a task before sleeping, and the calling
   * thread for the task's end (default 0: sleep at once). A thread woken from sleep starts tens of
   * microseconds late; watching costs CPU time, which another thread may need when the cores are busy.
   */
  readonly helperSpinMs?: number
  readonly callerSpinMs?: number
}

/** The thread machinery; subclasses hand over their own tasks (request) and read their results after finishing (waitDone). */
export class HelperWorker {
  protected readonly control: Int32Array
  protected readonly port: MessagePort
  private readonly worker: Worker
  private readonly stopRequest: number
  private readonly label: string
  private readonly callerSpinMs: number
  private stopped = false
  private running = false

  constructor (options: HelperWorkerOptions) {
    this.control = new Int32Array(new SharedArrayBuffer(4 * options.controlWords))
    this.stopRequest = options.stopRequest
    this.label = options.label
    this.callerSpinMs = options.callerSpinMs ?? 0
    const channel = new MessageChannel()
    this.port = channel.port1
    this.worker = new Worker(workerSource(options.source, options.stopRequest, options.helperSpinMs ?? 0), {
      eval: true,
      // plain JavaScript: no loaders (an inherited --import hook would need this, blocked, thread to start)
      execArgv: [],
      workerData: { ...options.workerData, control: this.control.buffer, port: channel.port2 },
      transferList: [channel.port2],
    })
    this.worker.unref()
    this.port.unref()
    abandoned.register(this, { worker: this.worker, control: this.control, stopRequest: this.stopRequest }, this)
  }

  /** A task was handed over and not yet waited for. */
  protected get busy (): boolean {
    return this.running
  }

  /** Hands request `request` to the helper (its arguments already in shared memory); returns at once. */
  protected request (request: number): void {
    Atomics.store(this.control, DONE_WORD, 0)
    Atomics.store(this.control, REQUEST_WORD, request)
    Atomics.notify(this.control, REQUEST_WORD)
    this.running = true
  }

  /**
   * Blocks until the task handed over last is done; false when none was
   * running. EngineError when it failed or the helper stopped answering.
   */
  protected waitDone (): boolean {
    if (!this.running) return false
    this.running = false
    if (this.callerSpinMs > 0 && Atomics.load(this.control, DONE_WORD) === 0) {
      const until = performance.now() + this.callerSpinMs
      while (Atomics.load(this.control, DONE_WORD) === 0 && performance.now() < until) { /* watch for the end */ }
    }
    const deadline = Date.now() + WORKER_TIMEOUT_MS
    while (Atomics.load(this.control, DONE_WORD) === 0) {
      if (Atomics.wait(this.control, DONE_WORD, 0, 1000) === 'timed-out' && Date.now() > deadline) {
        throw new EngineError(`The ${this.label} helper thread did not answer; run with one force thread (MDSWARM_FORCE_THREADS=1).`)
      }
    }
    if (Atomics.load(this.control, DONE_WORD) === 2) {
      throw new EngineError(`The ${this.label} helper thread failed; run with one force thread (MDSWARM_FORCE_THREADS=1).`)
    }
    return true
  }

  /** True after close(). */
  get closed (): boolean {
    return this.stopped
  }

  /** Stops the helper thread. */
  close (): void {
    if (this.stopped) return
    this.stopped = true
    abandoned.unregister(this)
    Atomics.store(this.control, REQUEST_WORD, this.stopRequest)
    Atomics.notify(this.control, REQUEST_WORD)
    void this.worker.terminate()
    this.port.close()
  }
}
