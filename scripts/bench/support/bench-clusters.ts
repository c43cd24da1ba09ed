/**
 * The two systems the dispatch and ensemble benchmarks compare, started as
 * separate processes on loopback: Celery workers on a Redis broker and
 * result backend (no persistence), and an mdswarm coordinator with node
 * daemons. `stop()` ends the processes and removes the temp folder.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { freePort, startProcess, stopProcess, type StartedProcess } from './processes.ts'

const PYTHON = '/usr/bin/python3'
const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..')

export interface BenchCluster {
  readonly workdir: string
  /** Process IDs of the cluster's daemons (their worker processes are their descendants). */
  pids: () => number[]
  stop: () => Promise<void>
}

async function withProcesses<T extends object> (prefix: string, start: (workdir: string, started: StartedProcess[]) => Promise<T>): Promise<T & BenchCluster> {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  const started: StartedProcess[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(started.reverse().map(async p => { await stopProcess(p) }))
    fs.rmSync(workdir, { recursive: true, force: true })
  }
  try {
    const pids = (): number[] => started.map(p => p.child.pid).filter((pid): pid is number => pid !== undefined)
    return { ...await start(workdir, started), workdir, pids, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** redis-server and `workers` Celery workers (concurrency 1 each) of module `app` in `celeryDir`; `env` carries MDSWARM_BENCH_REDIS_URL for clients. */
export async function startCeleryCluster (options: { app: string, workers: number, pool: string, celeryDir: string, env: NodeJS.ProcessEnv, prefix: string }): Promise<BenchCluster & { env: NodeJS.ProcessEnv }> {
  return await withProcesses(options.prefix, async (workdir, started) => {
    const port = await freePort()
    const env = { ...options.env, MDSWARM_BENCH_REDIS_URL: `redis://127.0.0.1:${port}`, PYTHONDONTWRITEBYTECODE: '1' }
    started.push(await startProcess('redis-server', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', workdir], { ready: /Ready to accept connections/ }))
    for (let i = 1; i <= options.workers; i++) {
      started.push(await startProcess(`celery worker ${i}`, PYTHON, ['-m', 'celery', '-A', options.app, 'worker', '--pool', options.pool, '--concurrency', '1', '-n', `w${i}@mdswarm-bench`, '--loglevel', 'INFO'],
        { cwd: options.celeryDir, env, ready: /ready\./, timeoutMs: 120_000 }))
    }
    return { env }
  })
}

/** An mdswarm coordinator (home `coordinatorHome`, its client key allowed) and `nodes` node daemons, one unit at a time each. */
export async function startBenchSwarm (options: { nodes: number, env?: NodeJS.ProcessEnv, prefix: string }): Promise<BenchCluster & { coordinatorHome: string }> {
  return await withProcesses(options.prefix, async (workdir, started) => {
    const coordinatorHome = path.join(workdir, 'coordinator')
    const spawnOptions = { cwd: repoRoot, env: options.env ?? process.env, timeoutMs: 120_000 }
    // MDSWARM_BENCH_CPU_PROF=DIR: every daemon writes a V8 CPU profile there when it stops.
    const profileDir = process.env.MDSWARM_BENCH_CPU_PROF
    const nodeFlags = profileDir !== undefined && profileDir !== '' ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []
    started.push(await startProcess('coordinator', process.execPath, [...nodeFlags, path.join(repoRoot, 'bin', 'mdswarm.mjs'), 'coordinator', 'start', '--home', coordinatorHome, '--listen', '/ip4/127.0.0.1/tcp/0'],
      { ...spawnOptions, ready: /press Ctrl-C to stop/ }))
    const info = JSON.parse(fs.readFileSync(path.join(coordinatorHome, 'coordinator.json'), 'utf8')) as { multiaddrs: string[] }
    for (let i = 1; i <= options.nodes; i++) {
      started.push(await startProcess(`node ${i}`, process.execPath, [...nodeFlags, path.join(repoRoot, 'bin', 'mdswarm-node.mjs'), 'start', '--coordinator', info.multiaddrs[0], '--home', path.join(workdir, `node${i}`), '--concurrency', '1'],
        { ...spawnOptions, ready: /./ }))
    }
    return { coordinatorHome }
  })
}
