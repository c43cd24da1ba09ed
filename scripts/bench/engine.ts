/**
 * Builtin engine vs OpenMM 7.7 (Reference and CPU platforms), same systems,
 * same run: steady-state ns/day after a warm-up (JIT, neighbour lists), with
 * start-up (reading inputs, building the context, first step) shown apart.
 *
 *   npx tsx scripts/bench/engine.ts [--quick] [--only ala2-vacuum|ala2-tip3p|ala2-tip3p-pme|villin-pme] [--no-openmm] [--rounds N]
 *
 * --rounds N times every engine N times, alternating, and reports each
 * engine's median round (on a shared machine, speed drifts over minutes).
 *
 * Systems (examples/): alanine dipeptide in vacuum (22 atoms, NoCutoff,
 * HBonds) and alanine dipeptide in 750 TIP3P waters (2,272 atoms, reaction
 * field 0.9 nm, rigid water), both LangevinMiddleIntegrator 2 fs, started
 * from the same state.xml. OpenMM runs in Debian's /usr/bin/python3 through
 * scripts/bench/openmm_engine.py. Times depend on whatever else the machine
 * runs; nothing here asserts on them.
 */
import * as path from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { availableParallelism, loadavg } from 'node:os'
import { Simulation } from '../../src/engine/simulation.ts'
import { ENGINE_BENCH_SYSTEMS, inputPaths, readInputs, type BenchSystem } from './support/engine-systems.ts'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const DEBIAN_PYTHON = '/usr/bin/python3'
const OPENMM_SCRIPT = path.join(REPO_ROOT, 'scripts', 'bench', 'openmm_engine.py')

interface Measurement {
  readonly engine: string
  readonly particles: number
  /** Reading inputs, building the context and the first step, s. */
  readonly startupS: number
  readonly steps: number
  readonly seconds: number
  readonly nsPerDay: number
  readonly note?: string
}

interface Durations { warmupS: number, measureS: number }

/** Steps in growing blocks until `seconds` of wall time have passed. */
function stepFor (simulation: Simulation, seconds: number, firstBlock: number): { steps: number, seconds: number } {
  let steps = 0
  let block = firstBlock
  const startedAt = performance.now()
  for (;;) {
    simulation.run({ steps: block, reportEvery: Number.MAX_SAFE_INTEGER })
    steps += block
    const elapsedS = (performance.now() - startedAt) / 1000
    if (elapsedS >= seconds) return { steps, seconds: elapsedS }
    const blockS = elapsedS / steps * block
    block = Math.max(1, Math.min(4 * block, Math.floor(block * 0.25 * seconds / Math.max(blockS, 1e-9))))
  }
}

function measureBuiltin (system: BenchSystem, durations: Durations): Measurement {
  const startedAt = performance.now()
  const simulation = Simulation.fromInputs({ ...readInputs(system, REPO_ROOT), seed: 1 })
  simulation.run({ steps: 1, reportEvery: Number.MAX_SAFE_INTEGER })
  const startupS = (performance.now() - startedAt) / 1000
  const warmup = stepFor(simulation, durations.warmupS, 1)
  const measured = stepFor(simulation, durations.measureS, Math.max(1, Math.floor(warmup.steps / 4)))
  const stepSizePs = simulation.integrator.stepSizePs
  return {
    engine: 'builtin',
    particles: simulation.system.particleCount,
    startupS,
    steps: measured.steps,
    seconds: measured.seconds,
    nsPerDay: measured.steps * stepSizePs / 1000 / (measured.seconds / 86_400),
  }
}

function measureOpenMM (system: BenchSystem, platform: 'Reference' | 'CPU', durations: Durations): Measurement | string {
  const files = inputPaths(system, REPO_ROOT)
  const result = spawnSync(DEBIAN_PYTHON, [OPENMM_SCRIPT, '--system', files.system, '--integrator', files.integrator, '--state', files.state,
    '--platform', platform, '--warmup-s', String(durations.warmupS), '--measure-s', String(durations.measureS)], { encoding: 'utf8' })
  if (result.error !== undefined) return `could not start ${DEBIAN_PYTHON}: ${result.error.message}`
  if (result.status !== 0) return `OpenMM ${platform} failed: ${result.stderr.trim().split('\n').pop() ?? ''}`
  const parsed = JSON.parse(result.stdout) as { particles: number, startupS: number, steps: number, seconds: number, nsPerDay: number, threads: string, openmmVersion: string }
  return {
    engine: `OpenMM ${parsed.openmmVersion} ${platform}`,
    particles: parsed.particles,
    startupS: parsed.startupS,
    steps: parsed.steps,
    seconds: parsed.seconds,
    nsPerDay: parsed.nsPerDay,
    note: platform === 'CPU' ? `${parsed.threads} threads` : undefined,
  }
}

function formatNumber (value: number): string {
  if (value >= 100) return value.toFixed(0)
  if (value >= 1) return value.toFixed(2)
  return value.toPrecision(3)
}

function main (): void {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      'no-openmm': { type: 'boolean' },
      rounds: { type: 'string' },
    },
    strict: true,
  })
  const durations: Durations = values.quick === true ? { warmupS: 0.5, measureS: 1.5 } : { warmupS: 2, measureS: 5 }
  const systems = ENGINE_BENCH_SYSTEMS.filter((system) => values.only === undefined || system.name === values.only)
  if (systems.length === 0) throw new Error(`--only must be one of ${ENGINE_BENCH_SYSTEMS.map((s) => s.name).join(', ')}`)

  const rows: string[][] = []
  const problems: string[] = []
  const rounds = Number(values.rounds ?? '1')
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a whole number of at least 1')
  const roundNotes: string[] = []
  for (const system of systems) {
    // Each round times every engine once, one after another; several rounds alternate them, so a slow spell of a
    // shared machine does not fall on one engine only. Each engine's median round is reported.
    const byEngine: Measurement[][] = [[], [], []]
    for (let round = 0; round < rounds; round++) {
      process.stderr.write(`${system.name}${rounds > 1 ? ` (round ${round + 1} of ${rounds})` : ''}: builtin...`)
      byEngine[0].push(measureBuiltin(system, durations))
      if (values['no-openmm'] !== true) {
        for (const [k, platform] of (['Reference', 'CPU'] as const).entries()) {
          process.stderr.write(` OpenMM ${platform}...`)
          const measurement = measureOpenMM(system, platform, durations)
          if (typeof measurement === 'string') problems.push(`${system.name}: ${measurement}`)
          else byEngine[k + 1].push(measurement)
        }
      }
      process.stderr.write(' done\n')
    }
    const measurements = byEngine.filter((list) => list.length > 0).map(medianMeasurement)
    const builtin = measurements[0]
    if (rounds > 1 && byEngine[2].length === rounds) {
      roundNotes.push(`${system.name} builtin/CPU by round: ${byEngine[0].map((m, r) => formatNumber(m.nsPerDay / byEngine[2][r].nsPerDay)).join(' ')}`)
    }
    const reference = measurements.find((m) => m.engine.endsWith('Reference'))
    const cpu = measurements.find((m) => m.engine.endsWith('CPU'))
    for (const m of measurements) {
      rows.push([
        system.name, String(m.particles), m.engine + (m.note === undefined ? '' : ` (${m.note})`),
        formatNumber(m.nsPerDay), String(m.steps), m.startupS.toFixed(3),
        m === builtin && reference !== undefined ? formatNumber(builtin.nsPerDay / reference.nsPerDay) : '',
        m === builtin && cpu !== undefined ? formatNumber(builtin.nsPerDay / cpu.nsPerDay) : '',
      ])
    }
  }
  const header = ['system', 'atoms', 'engine', 'ns/day', 'steps timed', 'start-up s', 'builtin/Ref', 'builtin/CPU']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells: string[]): string => cells.map((c, i) => (i <= 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`)
  process.stdout.write(`\nSteady state: ${durations.measureS} s of stepping after ${durations.warmupS} s of warm-up; LangevinMiddleIntegrator 2 fs; ` +
    `start-up = reading inputs, building the context, first step. Node ${process.version}; ` +
    `${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; builtin force threads: ` +
    `${process.env.MDSWARM_FORCE_THREADS ?? 'auto'}.\n`)
  if (rounds > 1) process.stdout.write(`${rounds} rounds, engines alternating; each row is that engine's median round.\n${roundNotes.join('\n')}${roundNotes.length > 0 ? '\n' : ''}`)
  for (const problem of problems) process.stdout.write(`note: ${problem}\n`)
}

/** The measurement with the median ns/day (the lower middle one of an even count). */
function medianMeasurement (list: readonly Measurement[]): Measurement {
  const sorted = [...list].sort((a, b) => a.nsPerDay - b.nsPerDay)
  return sorted[Math.floor((sorted.length - 1) / 2)]
}

main()
