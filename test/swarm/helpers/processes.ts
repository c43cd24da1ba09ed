/**
 * Real OS processes for the swarm tests: the `mdswarm` and `mdswarm-node`
 * binaries started with `process.execPath`, on 127.0.0.1 with port 0 and
 * temp homes. Every process is SIGKILLed in `t.teardown`, so nothing
 * outlives its test.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ExecutionContext } from 'ava'

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
export const exampleDir = path.join(repoRoot, 'examples', 'ala2')
const BINARIES = { mdswarm: path.join(repoRoot, 'bin', 'mdswarm.mjs'), 'mdswarm-node': path.join(repoRoot, 'bin', 'mdswarm-node.mjs') }

export function tempDir (t: ExecutionContext, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mdswarm-${prefix}-`))
  t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
  return dir
}

/** A child process with its output kept line by line. */
export class SwarmProcess {
  readonly child: ChildProcess
  readonly name: string
  readonly stdoutLines: string[] = []
  readonly stderrLines: string[] = []
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  private readonly waiters = new Set<() => void>()

  constructor (name: string, child: ChildProcess) {
    this.name = name
    this.child = child
    const collect = (stream: NodeJS.ReadableStream | null, into: string[]): void => {
      let partial = ''
      stream?.setEncoding('utf8')
      stream?.on('data', (data: string) => {
        const pieces = (partial + data).split('\n')
        partial = pieces.pop() ?? ''
        into.push(...pieces)
        for (const wake of this.waiters) wake()
      })
    }
    collect(child.stdout, this.stdoutLines)
    collect(child.stderr, this.stderrLines)
    this.exited = new Promise(resolve => {
      child.on('exit', (code, signal) => {
        for (const wake of this.waiters) wake()
        resolve({ code, signal })
      })
    })
  }

  get alive (): boolean { return this.child.exitCode === null && this.child.signalCode === null }

  /** The first stdout line (from index `from`) matching `pattern`; rejects on timeout or exit. */
  async waitForLine (pattern: RegExp, timeoutMs = 60_000, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs
    while (true) {
      const line = this.stdoutLines.slice(from).find(l => pattern.test(l))
      if (line !== undefined) return line
      if (!this.alive) throw new Error(`${this.name} exited before printing ${pattern}:\n${this.tail()}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms:\n${this.tail()}`)
      await new Promise<void>(resolve => {
        const timer = setTimeout(done, Math.min(left, 500))
        function done (): void { clearTimeout(timer); resolve() }
        this.waiters.add(done)
      })
    }
  }

  /** JSON events printed with --json. */
  events (): Array<Record<string, unknown> & { event: string }> {
    const out: Array<Record<string, unknown> & { event: string }> = []
    for (const line of this.stdoutLines) {
      if (!line.startsWith('{')) continue
      try { out.push(JSON.parse(line)) } catch {}
    }
    return out
  }

  tail (lines = 20): string {
    return [...this.stdoutLines.slice(-lines).map(l => `[out] ${l}`), ...this.stderrLines.slice(-lines).map(l => `[err] ${l}`)].join('\n')
  }

  kill (signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive) this.child.kill(signal)
  }
}

export function spawnCli (t: ExecutionContext, bin: keyof typeof BINARIES, args: string[], name: string = bin): SwarmProcess {
  const child = spawn(process.execPath, [BINARIES[bin], ...args], {
    cwd: repoRoot,
    env: { ...process.env, MDSWARM_HOME: '' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const proc = new SwarmProcess(name, child)
  t.teardown(() => { proc.kill('SIGKILL') })
  return proc
}

/** Runs a CLI command to its end. */
export async function runCliCommand (t: ExecutionContext, bin: keyof typeof BINARIES, args: string[], timeoutMs = 120_000): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const proc = spawnCli(t, bin, args)
  const timer = setTimeout(() => { proc.kill('SIGKILL') }, timeoutMs)
  const { code } = await proc.exited
  clearTimeout(timer)
  return { code, stdout: proc.stdoutLines.join('\n'), stderr: proc.stderrLines.join('\n') }
}

export interface CoordinatorProcess {
  readonly proc: SwarmProcess
  readonly home: string
  readonly peerId: string
  /** Loopback address with /p2p/<id>. */
  readonly address: string
}

/** Starts `mdswarm coordinator start` on 127.0.0.1 (port 0 unless `listen` is given) and waits until it listens. */
export async function startCoordinator (t: ExecutionContext, home: string, options: { leaseSeconds?: number, listen?: string, name?: string, args?: string[] } = {}): Promise<CoordinatorProcess> {
  const args = ['coordinator', 'start', '--home', home, '--listen', options.listen ?? '/ip4/127.0.0.1/tcp/0', ...(options.args ?? [])]
  if (options.leaseSeconds !== undefined) args.push('--lease-seconds', String(options.leaseSeconds))
  const proc = spawnCli(t, 'mdswarm', args, options.name ?? 'coordinator')
  const line = await proc.waitForLine(/listening on \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//, 60_000)
  const address = line.slice(line.indexOf('/ip4/')).trim()
  const peerId = address.slice(address.lastIndexOf('/p2p/') + 5)
  return { proc, home, peerId, address }
}

export interface NodeProcess {
  readonly proc: SwarmProcess
  readonly home: string
  readonly peerId: string
}

/** Starts `mdswarm-node start --json` and waits for its `started` event. */
export async function startNode (t: ExecutionContext, home: string, coordinator: string, options: { concurrency?: number, name?: string, args?: string[] } = {}): Promise<NodeProcess> {
  const proc = spawnCli(t, 'mdswarm-node', ['start', '--coordinator', coordinator, '--home', home, '--concurrency', String(options.concurrency ?? 1), '--json', ...(options.args ?? [])], options.name ?? 'node')
  const line = await proc.waitForLine(/"event":"started"/, 60_000)
  const started = JSON.parse(line) as { peerId: string }
  return { proc, home, peerId: started.peerId }
}

/** Polls `check` every `intervalMs` until it returns a value that is not undefined. */
export async function eventually<T> (what: string, check: () => Promise<T | undefined>, timeoutMs = 120_000, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (err) {
      lastError = err
    }
    await new Promise(resolve => setTimeout(resolve, intervalMs))
  }
  throw new Error(`timed out waiting for ${what}${lastError !== undefined ? ` (last error: ${(lastError as Error).message})` : ''}`)
}
