/**
 * A swarm on this machine for the demo and the benchmarks: a coordinator
 * and N node daemons as separate processes of our own binaries, on
 * 127.0.0.1, with homes in a temp folder. `stop()` ends them with SIGTERM
 * (SIGKILL after 10 s) and removes the homes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export interface LaunchedProcess {
  readonly child: ChildProcess
  /** stdout so far, line by line. */
  readonly lines: string[]
}

export interface LocalSwarm {
  readonly root: string
  /** The coordinator's loopback address, with /p2p/<id>. */
  readonly address: string
  readonly coordinator: LaunchedProcess
  readonly nodes: Array<LaunchedProcess & { readonly peerId: string }>
  stop: () => Promise<void>
}

/** Starts one of our binaries; resolves once a stdout line matches `ready`. */
async function launch (bin: string, args: string[], ready: RegExp, label: string): Promise<LaunchedProcess & { readyLine: string }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', bin), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const errors: string[] = []
  child.stderr!.setEncoding('utf8').on('data', (d: string) => errors.push(d))
  return await new Promise((resolve, reject) => {
    let partial = ''
    child.stdout!.setEncoding('utf8').on('data', (data: string) => {
      const pieces = (partial + data).split('\n')
      partial = pieces.pop() ?? ''
      for (const line of pieces) {
        lines.push(line)
        if (ready.test(line)) resolve({ child, lines, readyLine: line })
      }
    })
    child.on('exit', code => { reject(new Error(`${label} exited (status ${code}) before it was ready:\n${errors.join('')}`)) })
  })
}

async function stopProcess (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

export async function startLocalSwarm (options: { nodes: number, concurrency: number, prefix?: string }): Promise<LocalSwarm> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `${options.prefix ?? 'mdswarm-local'}-`))
  const started: ChildProcess[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(started.map(stopProcess))
    fs.rmSync(root, { recursive: true, force: true })
  }
  try {
    const coordinator = await launch('mdswarm.mjs', ['coordinator', 'start', '--home', path.join(root, 'coordinator'), '--listen', '/ip4/127.0.0.1/tcp/0'], /listening on \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//, 'the coordinator')
    started.push(coordinator.child)
    const address = coordinator.readyLine.slice(coordinator.readyLine.indexOf('/ip4/')).trim()
    const nodes = await Promise.all(Array.from({ length: options.nodes }, async (_, i) => {
      const node = await launch('mdswarm-node.mjs', ['start', '--coordinator', address, '--home', path.join(root, `node${i + 1}`), '--concurrency', String(options.concurrency), '--json'], /"event":"started"/, `node ${i + 1}`)
      started.push(node.child)
      return { ...node, peerId: (JSON.parse(node.readyLine) as { peerId: string }).peerId }
    }))
    return { root, address, coordinator, nodes, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** JSON events a node printed with --json. */
export function nodeEvents (node: LaunchedProcess): Array<Record<string, unknown> & { event: string }> {
  return node.lines.filter(l => l.startsWith('{')).map(l => JSON.parse(l) as Record<string, unknown> & { event: string })
}
