/**
 * A helper thread that runs self-contained functions (no imports, no
 * closures: their source text is evaluated in the worker, where they can call
 * one another by name) on typed arrays backed by SharedArrayBuffers, while
 * the calling thread works on something else. A HelperWorker, as
 * parallel-pairs.ts's ForceHelperThread (the two threads meet through
 * Atomics.wait/notify on a shared control block, no event loop and no
 * message per step, so callers stay synchronous), generic over the
 * functions it runs, for the Ewald/PME kernel.
 *
 * Arguments are numbers or shared typed arrays. Arrays are posted to the
 * worker only when one of them changed (a new array after growth); numbers
 * travel through a shared parameter block.
 *
 * @example
 * const thread = new SharedFunctionThread([computeEwaldPairRange])
 * thread.start(0, [from, to, homeImage, ...])   // returns at once
 * ...                                           // this thread's own part
 * thread.finish()                               // waits; the function's number result (0 otherwise)
 * thread.close()
 */
import { EngineError } from '../../errors.ts'
import { HelperWorker, type HelperWorkerSource } from '../helper-worker.ts'

/** A shared typed array or a number. */
export type ThreadArgument = number | Float64Array | Int32Array | Uint8Array

/** Control words: REQUEST (0 idle, k + 1 run function k, -1 stop) and DONE (0 busy, 1 done, 2 failed), as HelperWorker. */
const CONTROL_WORDS = 8
const TASK_STOP = -1
/** Most arguments one function may take. */
const MAX_ARGUMENTS = 32

type SelfContainedFunction = (...args: any[]) => unknown

function workerSource (functions: readonly SelfContainedFunction[]): HelperWorkerSource {
  return {
    setup: `
${functions.map((f) => f.toString()).join('\n')}
const functions = [${functions.map((f) => f.name).join(', ')}]
const numbers = new Float64Array(workerData.numbers)
const callArguments = functions.map(() => [])
const numberSlots = functions.map(() => [])`,
    takeMessage: `
      callArguments[message.task] = message.args
      numberSlots[message.task] = message.numberSlots`,
    runTask: `
    const task = request - 1
    const args = callArguments[task]
    const slots = numberSlots[task]
    for (let k = 0; k < slots.length; k++) args[slots[k]] = numbers[slots[k]]
    const result = functions[task].apply(null, args)
    numbers[${MAX_ARGUMENTS}] = typeof result === 'number' ? result : 0`,
  }
}

export class SharedFunctionThread extends HelperWorker {
  private readonly functionCount: number
  /** Number arguments by position, then the result. */
  private readonly numbers: Float64Array
  /** The arrays last posted, per function (null at number positions). */
  private readonly sent: (Array<ThreadArgument | null> | undefined)[]

  /** `functions`: named function declarations, self-contained but for calls to one another (their source text runs in the worker). */
  constructor (functions: readonly SelfContainedFunction[]) {
    const numbers = new Float64Array(new SharedArrayBuffer(8 * (MAX_ARGUMENTS + 1)))
    super({ source: workerSource(functions), controlWords: CONTROL_WORDS, workerData: { numbers: numbers.buffer }, stopRequest: TASK_STOP, label: 'PME' })
    this.numbers = numbers
    this.functionCount = functions.length
    this.sent = functions.map(() => undefined)
  }

  /** Starts function `task` with `args` (arrays backed by SharedArrayBuffers) on the helper; returns at once. */
  start (task: number, args: readonly ThreadArgument[]): void {
    if (this.closed) throw new EngineError('The PME helper thread was closed.')
    if (this.busy) throw new EngineError('The PME helper thread is still busy with its previous task.')
    if (!(task >= 0 && task < this.functionCount) || args.length > MAX_ARGUMENTS) {
      throw new EngineError(`The PME helper thread has no function ${task} taking ${args.length} arguments.`)
    }
    const previous = this.sent[task]
    let changed = previous === undefined || previous.length !== args.length
    for (let k = 0; k < args.length; k++) {
      const argument = args[k]
      if (typeof argument === 'number') {
        this.numbers[k] = argument
        if (!changed && previous![k] !== null) changed = true
      } else if (!changed && previous![k] !== argument) {
        changed = true
      }
    }
    if (changed) {
      for (const argument of args) {
        if (typeof argument !== 'number' && !(argument.buffer instanceof SharedArrayBuffer)) {
          throw new EngineError('The PME helper thread needs arrays backed by SharedArrayBuffers.')
        }
      }
      const posted = args.map((argument) => typeof argument === 'number' ? null : argument)
      const numberSlots: number[] = []
      args.forEach((argument, k) => { if (typeof argument === 'number') numberSlots.push(k) })
      this.port.postMessage({ task, args: posted, numberSlots })
      this.sent[task] = posted
    }
    this.request(task + 1)
  }

  /** Waits for the helper's task to finish; returns its number result (0 when it returned none, or nothing ran). */
  finish (): number {
    return this.waitDone() ? this.numbers[MAX_ARGUMENTS] : 0
  }
}
