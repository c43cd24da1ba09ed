/**
 * Dispatch benchmark: many tiny work units through mdswarm (coordinator + 2
 * node daemons, separate processes, loopback) versus the design it replaces,
 * Celery with Redis as broker and result backend (2 worker processes).
 *
 *   npx tsx scripts/bench/dispatch.ts [--units 1000] [--round-trips 20] [--celery-pool prefork|solo]
 *                                     [--only celery|swarm] [--steps 10]
 *
 * Measures (1) the time to run `units` units submitted as one group and wait
 * for all, (2) the one-at-a-time round trip (submit one, wait for its
 * result), and (3) the daemons' CPU time per unit (Linux /proc). Both clocks run from the submit call (for mdswarm: inputs
 * uploaded, jobs created) until the last result is known to the client
 * (`waitAll`), after the daemons have started and a small warm-up group has
 * run on each system; start-up is excluded. A Celery unit is a no-op task;
 * an mdswarm unit is a job of the
 * alanine dipeptide in vacuum (examples/ala2) for `--steps` steps, the
 * smallest real unit (the node loads the inputs and runs the engine).
 * Needs Debian's redis-server and python3-celery (`apt-get install
 * redis-server python3-celery python3-redis`); /usr/bin/python3 runs Celery.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { processTreeCpuMs, runToCompletion } from './support/processes.ts'
import { startBenchSwarm, startCeleryCluster } from './support/bench-clusters.ts'
import { median, percentile, printTable } from './support/table.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.resolve(here, '..', '..')
const celeryDir = path.join(here, 'celery')
const PYTHON = '/usr/bin/python3'
const WORKERS = 2

interface DispatchResult {
  readonly system: string
  readonly units: number
  readonly groupSeconds: number
  readonly roundTripMs: readonly number[]
  /** CPU time of the daemons (and their worker processes) per unit over the group and the round trips, ms; null without /proc. */
  readonly daemonCpuMsPerUnit: number | null
}

/** CPU ms per unit used by `cluster`'s processes while `work` ran. */
async function cpuPerUnit<T> (pids: () => number[], unitsRun: number, work: () => Promise<T>): Promise<{ result: T, cpuMsPerUnit: number | null }> {
  const before = processTreeCpuMs(pids())
  const result = await work()
  const after = processTreeCpuMs(pids())
  return { result, cpuMsPerUnit: before === null || after === null ? null : (after - before) / unitsRun }
}

const { values: flags } = parseArgs({
  options: {
    units: { type: 'string', default: '1000' },
    'round-trips': { type: 'string', default: '20' },
    'celery-pool': { type: 'string', default: 'prefork' },
    only: { type: 'string' },
    steps: { type: 'string', default: '10' }
  }
})
const units = Number(flags.units)
const roundTrips = Number(flags['round-trips'])
const steps = Number(flags.steps)

// ---------------------------------------------------------------- Celery + Redis

async function runCelery (): Promise<DispatchResult> {
  const pool = flags['celery-pool'] ?? 'prefork'
  const celery = await startCeleryCluster({ app: 'bench_tasks', workers: WORKERS, pool, celeryDir, env: process.env, prefix: 'mdswarm-bench-celery-' })
  try {
    // The client runs the warm-up, the group and the round trips in one process: the CPU figure covers all three.
    const { result: out, cpuMsPerUnit } = await cpuPerUnit(celery.pids, units + roundTrips + 2 * WORKERS, async () =>
      await runToCompletion('celery client', PYTHON, [path.join(celeryDir, 'dispatch_client.py'), String(units), String(roundTrips), String(WORKERS)], { cwd: celeryDir, env: celery.env }))
    const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { groupSeconds: number, roundTripMs: number[] }
    return { system: `Celery + Redis (${WORKERS} workers, ${pool} pool)`, units, groupSeconds: result.groupSeconds, roundTripMs: result.roundTripMs, daemonCpuMsPerUnit: cpuMsPerUnit }
  } finally {
    await celery.stop()
  }
}

// ---------------------------------------------------------------- mdswarm

async function runSwarm (): Promise<DispatchResult> {
  const { connect } = await import('../../src/client/index.ts')
  const swarm = await startBenchSwarm({ nodes: WORKERS, prefix: 'mdswarm-bench-swarm-' })
  try {
    const client = await connect({ home: swarm.coordinatorHome })
    try {
      const example = path.join(repoRoot, 'examples', 'ala2')
      const inputs = {
        systemXml: fs.readFileSync(path.join(example, 'system.xml'), 'utf8'),
        integratorXml: fs.readFileSync(path.join(example, 'integrator.xml'), 'utf8'),
        pdb: fs.readFileSync(path.join(example, 'ala2.pdb'), 'utf8'),
        steps,
        reportEvery: steps
      }
      // Warm-up: both nodes connected, payloads cached, workers started once.
      const { result: measured, cpuMsPerUnit } = await cpuPerUnit(swarm.pids, units + roundTrips + 2 * WORKERS, async () => {
        const warm = await client.submit({ ...inputs, replicas: 2 * WORKERS, seed: 1, name: 'warm-up' })
        await client.waitAll(warm)

        const startedAt = performance.now()
        const jobs = await client.submit({ ...inputs, replicas: units, seed: 1000, name: 'dispatch' })
        const summaries = await client.waitAll(jobs)
        const groupSeconds = (performance.now() - startedAt) / 1000
        const failed = summaries.filter(s => s.state !== 'done')
        if (failed.length > 0) throw new Error(`${failed.length} of ${units} swarm jobs did not finish: first ${JSON.stringify(failed[0])}`)

        const roundTripMs: number[] = []
        for (let i = 0; i < roundTrips; i++) {
          const t0 = performance.now()
          const [job] = await client.submit({ ...inputs, seed: 5000 + i, name: 'round-trip' })
          const summary = await job.wait()
          if (summary.state !== 'done') throw new Error(`round-trip job ended ${summary.state}`)
          roundTripMs.push(performance.now() - t0)
        }
        return { groupSeconds, roundTripMs }
      })
      const { groupSeconds, roundTripMs } = measured
      return { system: `mdswarm (coordinator + ${WORKERS} nodes × 1)`, units, groupSeconds, roundTripMs, daemonCpuMsPerUnit: cpuMsPerUnit }
    } finally {
      await client.close()
    }
  } finally {
    await swarm.stop()
  }
}

// ---------------------------------------------------------------- report

const results: DispatchResult[] = []
if (flags.only !== 'swarm') results.push(await runCelery())
if (flags.only !== 'celery') results.push(await runSwarm())

console.log(`\nDispatch: ${units} tiny units as one group, then ${roundTrips} one at a time (loopback, ${os.cpus().length} cores, load average ${os.loadavg().map(l => l.toFixed(1)).join(' ')})`)
console.log('Wall clock: submit call → every result known to the client; daemon start-up and a warm-up group excluded.\n')
printTable(
  ['system', 'group s', 'units/s', 'round trip median ms', 'p90 ms', 'daemon CPU ms/unit'],
  results.map(r => [r.system, r.groupSeconds, r.units / r.groupSeconds, median(r.roundTripMs), percentile(r.roundTripMs, 90), r.daemonCpuMsPerUnit ?? '–'])
)
const celery = results.find(r => r.system.startsWith('Celery'))
const swarm = results.find(r => r.system.startsWith('mdswarm'))
if (celery != null && swarm != null) {
  console.log(`\nmdswarm / Celery: throughput ${((units / swarm.groupSeconds) / (units / celery.groupSeconds)).toFixed(2)}×, round trip ${(median(swarm.roundTripMs) / median(celery.roundTripMs)).toFixed(2)}× the time`)
  console.log(`(an mdswarm unit runs ${steps} MD steps of a 22-atom system in a worker thread; a Celery unit is a no-op)`)
  console.log('daemon CPU: user + system time of the broker/coordinator and the workers/nodes (with their child processes) from /proc,')
  console.log('over the warm-up, the group and the round trips, per unit; unlike wall time it barely moves when other work shares the machine.')
}
// gossipsub leaves a timer behind after stop(); do not linger for it.
setTimeout(() => process.exit(0), 200).unref()
