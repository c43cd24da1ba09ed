/**
 * Child processes for benchmarks: start one and wait until it prints a ready
 * line, stop it with a signal and wait for its exit (SIGKILL after a grace
 * period). Every process started here is stopped by the caller.
 */
import fs from 'node:fs'
import { spawn } from 'node:child_process'
import type { ChildProcess, SpawnOptions } from 'node:child_process'
import net from 'node:net'

export interface StartedProcess {
  readonly name: string
  readonly child: ChildProcess
  /** Everything the process printed so far (stdout and stderr). */
  output: () => string
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo
      server.close(() => { resolve(address.port) })
    })
  })
}

/**
 * Spawns `command` and resolves once its output matches `ready` (or at once
 * without a pattern). Rejects if it exits first or after `timeoutMs`.
 */
export async function startProcess (name: string, command: string, args: string[], options: SpawnOptions & { ready?: RegExp, timeoutMs?: number } = {}): Promise<StartedProcess> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  const started: StartedProcess = { name, child, output: () => text }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`${name} was not ready within ${options.timeoutMs ?? 60_000} ms:\n${text}`)) }, options.timeoutMs ?? 60_000)
    const onData = (data: Buffer): void => {
      text += data.toString()
      if (text.length > 1_000_000) text = text.slice(-500_000)
      if (options.ready == null || options.ready.test(text)) { clearTimeout(timer); resolve() }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('error', (err) => { clearTimeout(timer); reject(err) })
    child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${text}`)) })
    if (options.ready == null) { clearTimeout(timer); resolve() }
  })
  return started
}

/** Sends `signal`, waits up to `graceMs` for the exit, then SIGKILLs. */
export async function stopProcess (started: StartedProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  const { child } = started
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  child.kill(signal)
  const timer = setTimeout(() => { child.kill('SIGKILL') }, graceMs)
  await exited
  clearTimeout(timer)
}

/** Runs a command to completion; resolves with its stdout, rejects on a non-zero exit. */
export async function runToCompletion (name: string, command: string, args: string[], options: SpawnOptions = {}): Promise<string> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>((resolve, reject) => { child.once('error', reject); child.once('exit', resolve) })
  if (code !== 0) throw new Error(`${name} exited with ${code}:\n${stderr.slice(-4000)}`)
  return stdout
}

/** Clock ticks per second of /proc/<pid>/stat times (Linux's USER_HZ, 100 on every mainstream kernel). */
const CLOCK_TICKS_PER_SECOND = 100

/**
 * CPU time (user + system) used so far by the processes `rootPids` and all
 * their descendants, ms, from /proc (Linux); null where /proc is missing.
 * Resolution: 10 ms per process.
 */
export function processTreeCpuMs (rootPids: readonly number[]): number | null {
  if (!fs.existsSync('/proc/self/stat')) return null
  const parentOf = new Map<number, number>()
  const ticksOf = new Map<number, number>()
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue // exited meanwhile
    }
    // Fields after the command name, which is in parentheses and may hold spaces: state ppid ... utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    parentOf.set(Number(entry), Number(fields[1]))
    ticksOf.set(Number(entry), Number(fields[11]) + Number(fields[12]))
  }
  const inTree = new Set(rootPids)
  let grew = true
  while (grew) {
    grew = false
    for (const [pid, parent] of parentOf) {
      if (!inTree.has(pid) && inTree.has(parent)) { inTree.add(pid); grew = true }
    }
  }
  let ticks = 0
  for (const pid of inTree) ticks += ticksOf.get(pid) ?? 0
  return ticks * 1000 / CLOCK_TICKS_PER_SECOND
}
