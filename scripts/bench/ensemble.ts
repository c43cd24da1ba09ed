/**
 * Ensemble benchmark: 20 work units of 5000 steps (alanine dipeptide in
 * vacuum) on a local swarm of 2 node daemons (separate processes, one unit
 * at a time each). Efficiency = engine time / (wall × nodes): the share of
 * the nodes' time spent computing, the rest being dispatch, transfer,
 * worker start-up and idle waits. The baseline, measured in the same run,
 * is one unit's engine throughput in this process with no swarm at all.
 *
 * The wall clock runs from the submit call (inputs uploaded, jobs created)
 * to the moment `waitAll` sees every job done; it excludes daemon start-up
 * and a warm-up of a few short units first (workers started, engine
 * JIT-compiled, payloads cached), as the baseline has its own warm-up.
 *
 *   npm run bench:ensemble [-- --units 20 --steps 5000 --nodes 2 --report-every 500 --system ala2|ala2-tip3p]
 *
 * --system ala2 (default): the 22-atom dipeptide in vacuum, about 0.1 s per
 * unit, so dispatch latency weighs heavily; ala2-tip3p: the dipeptide in 750
 * TIP3P waters (2,272 atoms, reaction field), about half a minute per unit
 * here, a unit of the size ensembles are made of (the run takes minutes).
 */
import '../../src/polyfill.ts'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { connect } from '../../src/client/index.ts'
import { Simulation } from '../../src/engine/simulation.ts'
import { nodeEvents, repoRoot, startLocalSwarm } from '../local-swarm.ts'

const { values: flags } = parseArgs({
  options: {
    units: { type: 'string', default: '20' },
    steps: { type: 'string', default: '5000' },
    nodes: { type: 'string', default: '2' },
    'report-every': { type: 'string', default: '500' },
    system: { type: 'string', default: 'ala2' }
  }
})
const units = Number(flags.units)
const steps = Number(flags.steps)
const nodeCount = Number(flags.nodes)
const reportEvery = Number(flags['report-every'])

const SYSTEMS: Record<string, { folder: string, pdb: string, label: string }> = {
  ala2: { folder: 'ala2', pdb: 'ala2.pdb', label: 'alanine dipeptide, vacuum' },
  'ala2-tip3p': { folder: 'ala2-tip3p', pdb: 'ala2-tip3p.pdb', label: 'alanine dipeptide in 750 TIP3P waters, reaction field' },
}
const chosen = SYSTEMS[flags.system ?? 'ala2']
if (chosen === undefined) throw new Error(`--system must be one of ${Object.keys(SYSTEMS).join(', ')}`)
const example = path.join(repoRoot, 'examples', chosen.folder)
const read = (name: string): string => fs.readFileSync(path.join(example, name), 'utf8')
const inputs = { systemXml: read('system.xml'), integratorXml: read('integrator.xml'), pdb: read(chosen.pdb), stateXml: read('state.xml') }

/** Baseline: one unit run here, no swarm, no worker; engine time only. */
function localBaseline (): { seconds: number, stepSizePs: number } {
  // One force thread, as a node's unit worker runs.
  const sim = Simulation.fromInputs({ ...inputs, seed: 1, threads: 1 })
  sim.run({ steps: 200, reportEvery }) // warm-up (JIT)
  const started = performance.now()
  sim.run({ steps, reportEvery, onFrame: () => {} })
  return { seconds: (performance.now() - started) / 1000, stepSizePs: sim.integrator.stepSizePs }
}

function nsPerDay (steps: number, stepSizePs: number, seconds: number): number {
  return (steps * stepSizePs / 1000) / (seconds / 86_400)
}

async function main (): Promise<void> {
  const baseline = localBaseline()
  const swarm = await startLocalSwarm({ nodes: nodeCount, concurrency: 1, prefix: 'mdswarm-bench' })
  try {
    // The coordinator's own home: its client key is the first allowed submitter.
    const client = await connect({ coordinator: swarm.address, home: path.join(swarm.root, 'coordinator') })
    const warmUp = await client.submit({ ...inputs, steps: 2 * reportEvery, reportEvery, replicas: 2 * nodeCount, seed: 1, name: 'bench-warm-up' })
    await client.waitAll(warmUp)
    const warmUpDeadline = Date.now() + 10_000
    const completedSoFar = (): number => swarm.nodes.reduce((sum, n) => sum + nodeEvents(n).filter(e => e.event === 'unit-completed').length, 0)
    while (completedSoFar() < warmUp.length && Date.now() < warmUpDeadline) await new Promise(resolve => setTimeout(resolve, 50))
    const warmUpCompletions = swarm.nodes.map(n => nodeEvents(n).filter(e => e.event === 'unit-completed').length)
    const submitted = performance.now()
    const jobs = await client.submit({ ...inputs, steps, reportEvery, replicas: units, seed: 7, name: 'bench-ensemble' })
    const finished = await client.waitAll(jobs)
    const wallS = (performance.now() - submitted) / 1000
    await client.close()
    // Nodes print their completions just after the coordinator records them.
    const deadline = Date.now() + 10_000
    const completions = (): Array<Record<string, unknown>> => swarm.nodes.flatMap((n, i) => nodeEvents(n).filter(e => e.event === 'unit-completed').slice(warmUpCompletions[i]))
    while (completions().length < units && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
    const engineS = completions().reduce((sum, e) => sum + (e.engineMs as number), 0) / 1000
    const perNode = swarm.nodes.map((n, i) => nodeEvents(n).filter(e => e.event === 'unit-completed').length - warmUpCompletions[i])
    const done = finished.filter(j => j.state === 'done').length
    const swarmNsPerDay = nsPerDay(done * steps, baseline.stepSizePs, wallS)
    const localNsPerDay = nsPerDay(steps, baseline.stepSizePs, baseline.seconds)

    const rows: Array<[string, string]> = [
      ['units × steps', `${units} × ${steps} (${chosen.label}, ${baseline.stepSizePs} ps steps)`],
      ['nodes', `${nodeCount} processes, 1 unit at a time each; units per node: ${perNode.join(', ')}`],
      ['units done', `${done} of ${units}`],
      ['wall time (submit → all done)', `${wallS.toFixed(2)} s (after start-up and a warm-up of ${2 * nodeCount} short units)`],
      ['engine time (sum over units)', `${engineS.toFixed(2)} s`],
      ['efficiency = engine / (wall × nodes)', `${(100 * engineS / (wallS * nodeCount)).toFixed(1)} %`],
      ['swarm throughput', `${swarmNsPerDay.toFixed(0)} ns/day`],
      ['baseline: 1 unit in-process, no swarm', `${localNsPerDay.toFixed(0)} ns/day (${baseline.seconds.toFixed(2)} s per unit)`],
      ['swarm / (nodes × baseline)', `${(swarmNsPerDay / (nodeCount * localNsPerDay)).toFixed(2)}`]
    ]
    const width = Math.max(...rows.map(r => r[0].length))
    process.stdout.write(`\nensemble benchmark (${new Date().toISOString()}, ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map(l => l.toFixed(1)).join(' ')})\n`)
    for (const [label, value] of rows) process.stdout.write(`  ${label.padEnd(width)}  ${value}\n`)
  } finally {
    await swarm.stop()
  }
}

await main()
