/** Starting the real coordinator (`mdswarm coordinator start`) as a child process for tests. */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { repoRoot } from './helpers.ts'

export interface CoordinatorProcess {
  readonly child: ChildProcess
  readonly info: { peerId: string, multiaddrs: string[], network: string }
  output: () => string
}

/** Spawns the coordinator in `home` and resolves once it has (re)written coordinator.json. */
export async function startCoordinator (home: string, extraArgs: string[] = []): Promise<CoordinatorProcess> {
  const infoFile = path.join(home, 'coordinator.json')
  fs.rmSync(infoFile, { force: true })
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/mdswarm.mjs'), 'coordinator', 'start', '--home', home, '--listen', '/ip4/127.0.0.1/tcp/0', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { output += d.toString() })
  const deadline = Date.now() + 90_000
  while (!fs.existsSync(infoFile)) {
    if (child.exitCode !== null) throw new Error(`coordinator exited with ${child.exitCode}: ${output}`)
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`coordinator did not start: ${output}`) }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { child, info: JSON.parse(fs.readFileSync(infoFile, 'utf8')), output: () => output }
}

/** Waits for the child to exit; returns its exit code or signal. */
export async function exited (child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return child.exitCode
  if (child.signalCode !== null) return child.signalCode
  return await new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)))
}
