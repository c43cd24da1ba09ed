/**
 * The builtin engine of this working tree against the one of another
 * checkout, in one process, taking turns every few steps: an A/B for engine
 * changes that a shared machine's slow spells (minutes long, and hitting one
 * run but not the next) cannot fake. Prints ms/step per round and the ratio.
 *
 *   git worktree add /tmp/mdswarm-base HEAD~3      # the revision to compare against
 *   npx tsx scripts/bench/engine-ab.ts --base /tmp/mdswarm-base [--system ala2-tip3p] [--threads 1|2|auto] [--rounds 6]
 *
 * Both engines run the same inputs with the same seed; each round runs both
 * 5 times `--block` steps (default 100), alternating. Each loads its own
 * source tree, so the JIT compiles them apart. Nothing asserts on times.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { loadavg } from 'node:os'
import { Simulation } from '../../src/engine/simulation.ts'
import { benchSystem, readInputs, type BenchSystem } from './support/engine-systems.ts'
import { median, printTable } from './support/table.ts'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    system: { type: 'string', default: 'ala2-tip3p' },
    threads: { type: 'string', default: 'auto' },
    rounds: { type: 'string', default: '6' },
    block: { type: 'string', default: '100' },
  },
})
if (values.base === undefined || !fs.existsSync(path.join(values.base, 'src', 'engine', 'simulation.ts'))) {
  console.error('usage: npx tsx scripts/bench/engine-ab.ts --base DIR (a checkout of the revision to compare against, e.g. made by git worktree add)')
  process.exit(2)
}
let system: BenchSystem
try {
  system = benchSystem(values.system!)
} catch (err) {
  console.error((err as Error).message)
  process.exit(2)
}
const threads: number | 'auto' = values.threads === 'auto' ? 'auto' : Number(values.threads)
const rounds = Number(values.rounds)
const block = Number(values.block)
if (!(threads === 'auto' || threads === 1 || threads === 2) || !(rounds >= 1) || !(block >= 1)) {
  console.error('--threads is 1, 2 or auto; --rounds and --block are positive integers')
  process.exit(2)
}

const base = await import(pathToFileURL(path.join(path.resolve(values.base), 'src', 'engine', 'simulation.ts')).href) as { Simulation: typeof Simulation }
const inputs = { ...readInputs(system, REPO_ROOT), seed: 1, threads }
const engines = [
  { label: 'this tree', simulation: Simulation.fromInputs(inputs) },
  { label: `base (${values.base})`, simulation: base.Simulation.fromInputs(inputs) as Simulation },
]
try {
  for (const engine of engines) engine.simulation.run({ steps: 4 * block, reportEvery: Number.MAX_SAFE_INTEGER })
  const rows: Array<Array<string | number>> = []
  const ratios: number[] = []
  for (let round = 1; round <= rounds; round++) {
    const elapsedMs = [0, 0]
    for (let turn = 0; turn < 5; turn++) {
      engines.forEach((engine, k) => {
        const startedAt = performance.now()
        engine.simulation.run({ steps: block, reportEvery: Number.MAX_SAFE_INTEGER })
        elapsedMs[k] += performance.now() - startedAt
      })
    }
    const [tree, baseline] = elapsedMs.map(ms => ms / (5 * block))
    ratios.push(baseline / tree)
    rows.push([round, tree.toFixed(3), baseline.toFixed(3), (baseline / tree).toFixed(3)])
  }
  console.log(`${values.system}, force threads ${threads}, ${rounds} rounds of 5 x ${block} steps each, alternating`)
  printTable(['round', 'this tree ms/step', 'base ms/step', 'base/this (> 1: this tree faster)'], rows)
  console.log(`\nmedian base/this: ${median(ratios).toFixed(3)}; load average ${loadavg().map(l => l.toFixed(1)).join(' ')}`)
} finally {
  for (const engine of engines) engine.simulation.close()
}
