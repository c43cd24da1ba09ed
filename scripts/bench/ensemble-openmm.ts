/**
 * Ensemble efficiency with the openmm engine: an ensemble of alanine
 * dipeptide trajectories (examples/ala2) run on OpenMM's CPU platform by
 * mdswarm (coordinator + 2 node daemons with the openmm engine, separate
 * processes, loopback) and, in the same run, by the design it replaces:
 * Celery with Redis as broker and result backend, 2 worker processes, each
 * task running OpenMM (scripts/bench/celery/openmm_tasks.py).
 *
 *   npx tsx scripts/bench/ensemble-openmm.ts [--units 20] [--steps 5000] [--report-every 500]
 *                                            [--platform CPU] [--threads 1] [--rounds 2] [--only celery|swarm]
 *
 * Efficiency = units x (one unit's own cost) / (workers x wall time), where
 * one unit's own cost is measured in the same run by a plain Python with
 * OpenMM already imported (context creation, the steps, the frames:
 * scripts/bench/openmm_unit_cost.py). 1.0 is a dispatcher that costs nothing.
 * OPENMM_CPU_THREADS (--threads) is the same for every process.
 * Needs Debian's redis-server, python3-celery, python3-redis and OpenMM
 * (python3-simtk, libopenmm-plugins); /usr/bin/python3 runs Celery and OpenMM.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { runToCompletion } from './support/processes.ts'
import { startBenchSwarm, startCeleryCluster } from './support/bench-clusters.ts'
import { median, printTable } from './support/table.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const repoRoot = path.resolve(here, '..', '..')
const celeryDir = path.join(here, 'celery')
const exampleDir = path.join(repoRoot, 'examples', 'ala2')
const PYTHON = '/usr/bin/python3'
const WORKERS = 2

const { values: flags } = parseArgs({
  options: {
    units: { type: 'string', default: '20' },
    steps: { type: 'string', default: '5000' },
    'report-every': { type: 'string', default: '500' },
    platform: { type: 'string', default: 'CPU' },
    threads: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '2' },
    only: { type: 'string' },
  },
})
const units = Number(flags.units)
const steps = Number(flags.steps)
const reportEvery = Number(flags['report-every'])
const platform = flags.platform ?? 'CPU'
const rounds = Number(flags.rounds)
/** The same OpenMM CPU threads for every process of both systems. */
const benchEnv = { ...process.env, OPENMM_CPU_THREADS: flags.threads ?? '1', PYTHONDONTWRITEBYTECODE: '1' }

interface EnsembleResult {
  readonly system: string
  readonly wallSeconds: number
  readonly frames: number
}

// ---------------------------------------------------------------- yardstick

async function unitCostSeconds (repeats: number): Promise<number[]> {
  const out = await runToCompletion('unit cost', PYTHON, [path.join(here, 'openmm_unit_cost.py'), exampleDir, String(steps), String(reportEvery), platform, String(repeats)], { env: benchEnv })
  return (JSON.parse(out.trim().split('\n').pop() ?? '{}') as { unitSeconds: number[] }).unitSeconds
}

// ---------------------------------------------------------------- Celery + Redis + OpenMM

async function runCelery (): Promise<EnsembleResult> {
  const celery = await startCeleryCluster({ app: 'openmm_tasks', workers: WORKERS, pool: 'prefork', celeryDir, env: benchEnv, prefix: 'mdswarm-bench-celery-openmm-' })
  try {
    const out = await runToCompletion('celery client', PYTHON, [path.join(celeryDir, 'ensemble_client.py'), String(units), String(steps), String(reportEvery), String(WORKERS), platform, exampleDir], { cwd: celeryDir, env: celery.env })
    const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { groupSeconds: number, frames: number }
    return { system: `Celery + Redis + OpenMM (${WORKERS} workers)`, wallSeconds: result.groupSeconds, frames: result.frames }
  } finally {
    await celery.stop()
  }
}

// ---------------------------------------------------------------- mdswarm

async function runSwarm (): Promise<EnsembleResult> {
  const { connect } = await import('../../src/client/index.ts')
  const swarm = await startBenchSwarm({ nodes: WORKERS, env: benchEnv, prefix: 'mdswarm-bench-swarm-openmm-' })
  try {
    const client = await connect({ home: swarm.coordinatorHome })
    try {
      const inputs = {
        systemXml: fs.readFileSync(path.join(exampleDir, 'system.xml'), 'utf8'),
        integratorXml: fs.readFileSync(path.join(exampleDir, 'integrator.xml'), 'utf8'),
        pdb: fs.readFileSync(path.join(exampleDir, 'ala2.pdb'), 'utf8'),
        stateXml: fs.readFileSync(path.join(exampleDir, 'state.xml'), 'utf8'),
        engine: 'openmm' as const,
        platform,
      }
      // Warm-up, as Celery's: both nodes connected, payloads cached, an OpenMM helper started on each.
      const warm = await client.submit({ ...inputs, steps: reportEvery, reportEvery, replicas: 2 * WORKERS, seed: 1, name: 'warm-up' })
      const warmed = await client.waitAll(warm)
      const warmFailed = warmed.filter(s => s.state !== 'done')
      if (warmFailed.length > 0) throw new Error(`warm-up jobs did not finish: ${JSON.stringify(warmFailed[0])}`)

      const startedAt = performance.now()
      const jobs = await client.submit({ ...inputs, steps, reportEvery, replicas: units, seed: 1000, name: 'ensemble-openmm' })
      const summaries = await client.waitAll(jobs)
      const wallSeconds = (performance.now() - startedAt) / 1000
      const failed = summaries.filter(s => s.state !== 'done')
      if (failed.length > 0) throw new Error(`${failed.length} of ${units} swarm jobs did not finish: first ${JSON.stringify(failed[0])}`)
      const frames = summaries.reduce((sum, s) => sum + s.framesStored, 0)
      return { system: `mdswarm, openmm engine (coordinator + ${WORKERS} nodes × 1)`, wallSeconds, frames }
    } finally {
      await client.close()
    }
  } finally {
    await swarm.stop()
  }
}

// ---------------------------------------------------------------- report

const results: EnsembleResult[] = []
const unitCosts: number[] = []
for (let round = 0; round < rounds; round++) {
  unitCosts.push(...await unitCostSeconds(3))
  if (flags.only !== 'swarm') results.push(await runCelery())
  if (flags.only !== 'celery') results.push(await runSwarm())
  unitCosts.push(...await unitCostSeconds(3))
}
const unitCost = median(unitCosts)
const efficiency = (r: EnsembleResult): number => units * unitCost / (WORKERS * r.wallSeconds)

console.log(`\nEnsemble: ${units} units × ${steps} steps of alanine dipeptide (22 atoms), a frame every ${reportEvery} steps, OpenMM ${platform} platform, ` +
  `OPENMM_CPU_THREADS=${benchEnv.OPENMM_CPU_THREADS}, ${WORKERS} workers (loopback, ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`)
console.log(`One unit's own cost (context + steps + frames, warm Python): median ${unitCost.toFixed(3)} s over ${unitCosts.length} runs\n`)
printTable(
  ['system', 'wall s', 'units/min', 'frames', 'efficiency'],
  results.map(r => [r.system, r.wallSeconds, units / r.wallSeconds * 60, r.frames, efficiency(r)])
)
const celeryRuns = results.filter(r => r.system.startsWith('Celery'))
const swarmRuns = results.filter(r => r.system.startsWith('mdswarm'))
if (celeryRuns.length > 0 && swarmRuns.length > 0) {
  const celeryEfficiency = median(celeryRuns.map(efficiency))
  const swarmEfficiency = median(swarmRuns.map(efficiency))
  console.log(`\nmdswarm / Celery efficiency: ${(swarmEfficiency / celeryEfficiency).toFixed(2)} (target ≥ 1.00): mdswarm ${swarmEfficiency.toFixed(3)}, Celery ${celeryEfficiency.toFixed(3)}`)
}
// gossipsub leaves a timer behind after stop(); do not linger for it.
setTimeout(() => process.exit(0), 200).unref()
