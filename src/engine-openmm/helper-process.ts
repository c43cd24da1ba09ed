/**
 * One running OpenMM helper (helper/openmm_helper.py): a child process
 * spoken to over its stdin/stdout with the binary protocol. Messages from
 * the helper queue up until `next()` takes them; when the helper dies, every
 * waiting and later `next()` rejects with OpenmmHelperDiedError (exit
 * status, signal and the tail of its stderr), so a caller never hangs.
 *
 * @example
 * const helper = HelperProcess.spawn('/usr/bin/python3')
 * helper.send(encodeBare(MessageType.Detect))
 * const reply = await helper.next()
 * await helper.close()
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { logger } from '@libp2p/logger'
import { MessageDecoder, type RawMessage } from './protocol/codec.ts'
import { encodeBare, MessageType } from './protocol/messages.ts'
import { OpenmmHelperDiedError, OpenmmProtocolError } from './errors.ts'
import { HELPER_PATH } from './interpreter.ts'

const log = logger('mdswarm:engine:openmm')

/** Bytes of the helper's stderr kept for error messages. */
const STDERR_TAIL_BYTES = 8192
/** How long `close()` waits for a clean exit before killing, ms. */
const CLOSE_GRACE_MS = 5000

type Waiter = { resolve: (m: RawMessage) => void, reject: (e: Error) => void }

export interface SpawnHelperOptions {
  /** Extra environment for the helper (e.g. CUDA_VISIBLE_DEVICES). */
  readonly env?: NodeJS.ProcessEnv
  /** The helper script (default: the one shipped with the package). */
  readonly helperPath?: string
}

export class HelperProcess {
  private readonly child: ChildProcessWithoutNullStreams
  private readonly decoder = new MessageDecoder()
  private readonly queue: RawMessage[] = []
  private readonly waiters: Waiter[] = []
  private stderrTail = ''
  private failure: Error | null = null
  private closed = false
  /** Resolves when the process has exited and its pipes are drained. */
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>

  private constructor (child: ChildProcessWithoutNullStreams) {
    this.child = child
    child.stdout.on('data', (bytes: Buffer) => {
      if (this.failure !== null) return
      try {
        for (const message of this.decoder.push(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))) this.deliver(message)
      } catch (err) {
        this.fail(err as Error)
        child.kill('SIGKILL')
      }
    })
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_BYTES)
      log('helper stderr: %s', text.trimEnd())
    })
    // EPIPE when the helper died while we wrote; the close handler reports it.
    child.stdin.on('error', (err) => { log('helper stdin: %s', err.message) })
    this.exited = new Promise(resolve => {
      child.on('close', (code, signal) => {
        this.fail(new OpenmmHelperDiedError(code, signal, this.stderrTail))
        resolve({ code, signal })
      })
      child.on('error', (err) => {
        // spawn failed (no such interpreter)
        this.fail(new OpenmmHelperDiedError(null, null, `${err.message}\n${this.stderrTail}`))
        resolve({ code: null, signal: null })
      })
    })
  }

  static spawn (python: string, options: SpawnHelperOptions = {}): HelperProcess {
    const child = spawn(python, ['-u', options.helperPath ?? HELPER_PATH], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...options.env },
    })
    return new HelperProcess(child)
  }

  get pid (): number | undefined {
    return this.child.pid
  }

  /** True while the helper runs, has not failed and was not asked to close: it may take another INIT. */
  get healthy (): boolean {
    return this.failure === null && !this.closed && this.queue.length === 0 && this.waiters.length === 0
  }

  /** The interpreter and environment it was started with (a pool reuses it only for the same). */
  key = ''

  /**
   * Whether the helper keeps the Node.js process alive: an idle pooled
   * helper does not, so a daemon can exit; the helper ends at the end of its stdin.
   */
  setReferenced (referenced: boolean): void {
    for (const handle of [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as Array<{ ref: () => void, unref: () => void }>) {
      if (referenced) handle.ref()
      else handle.unref()
    }
  }

  /** The last bytes the helper wrote to stderr. */
  get stderr (): string {
    return this.stderrTail
  }

  /** Writes one encoded message. A dead helper is reported by the next `next()`. */
  send (message: Uint8Array): void {
    if (this.failure !== null || this.child.stdin.destroyed) return
    this.child.stdin.write(message)
  }

  /** The next message from the helper (queued or awaited). */
  async next (): Promise<RawMessage> {
    const queued = this.queue.shift()
    if (queued !== undefined) return queued
    if (this.failure !== null) throw this.failure
    return await new Promise((resolve, reject) => { this.waiters.push({ resolve, reject }) })
  }

  /** Asks the helper to quit; kills it if it has not exited after a grace period. Never rejects. */
  async close (): Promise<void> {
    if (!this.closed) {
      this.closed = true
      this.send(encodeBare(MessageType.Quit))
      this.child.stdin.end()
    }
    const timer = setTimeout(() => { this.kill() }, CLOSE_GRACE_MS)
    await this.exited
    clearTimeout(timer)
  }

  /** Ends the helper at once (SIGKILL). */
  kill (): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }

  private deliver (message: RawMessage): void {
    const waiter = this.waiters.shift()
    if (waiter !== undefined) waiter.resolve(message)
    else this.queue.push(message)
  }

  private fail (err: Error): void {
    if (this.failure !== null) return
    if (!(err instanceof OpenmmHelperDiedError) && !(err instanceof OpenmmProtocolError)) err = new OpenmmProtocolError(err.message)
    this.failure = err
    for (const waiter of this.waiters.splice(0)) waiter.reject(err)
  }
}
