/**
 * Force-evaluation benchmark of the builtin engine's kernels against OpenMM
 * 7.7 (CPU and Reference platforms) on the fixture systems, measured in the
 * same run.
 *
 *   npx tsx scripts/bench/kernels.ts [--fixtures a,b] [--repeats 50] [--threads 1|2|auto] [--no-openmm]
 *
 * Prints, per fixture, wall-clock ms per force+energy evaluation (median of
 * rounds; neighbour list not rebuilt, the rebuild cost is its own column),
 * OpenMM's ms per getState(getForces, getEnergy) (CPU platform with 2
 * threads, Reference), and the ratio OpenMM / builtin (> 1: the builtin
 * engine is faster). --threads 2 runs the nonbonded pair loop and the
 * neighbour-list search on two threads (same as MDSWARM_FORCE_THREADS=2);
 * auto (the default) uses the helper thread only while it measurably pays.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ForceEvaluator } from '../../src/engine/force-evaluator.ts'
import { NonbondedKernel } from '../../src/engine/kernels/nonbonded.ts'
import { parseStateXml } from '../../src/engine/xml/state-xml.ts'
import { parseSystemXml } from '../../src/engine/xml/system-xml.ts'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const fixturesDir = path.join(repoRoot, 'test', 'fixtures')
const PYTHON = '/usr/bin/python3'

function option (name: string): string | undefined {
  const at = process.argv.indexOf(name)
  return at >= 0 ? process.argv[at + 1] : undefined
}
const fixtures = (option('--fixtures') ?? 'ala2-vacuum-nocutoff,water-box-rigid,ala2-tip3p-rf-cubic,villin-rf-cubic').split(',')
const repeats = Number(option('--repeats') ?? 50)
const withOpenmm = !process.argv.includes('--no-openmm')
const threads = option('--threads') ?? process.env.MDSWARM_FORCE_THREADS ?? 'auto'
process.env.MDSWARM_FORCE_THREADS = String(threads)

interface Row { fixture: string, atoms: number, builtinMs: number, rebuildMs: number, cpuMs?: number, referenceMs?: number }

function benchBuiltin (fixture: string): Row {
  const dir = path.join(fixturesDir, fixture)
  const system = parseSystemXml(fs.readFileSync(path.join(dir, 'system.xml'), 'utf8'))
  const state = parseStateXml(fs.readFileSync(path.join(dir, 'state.xml'), 'utf8'))
  const box = state.box ?? system.defaultBox
  const evaluator = new ForceEvaluator(system)
  const forces = new Float64Array(3 * system.particleCount)
  const energyByGroup = new Float64Array(32)
  // warm up (JIT) for at least 300 ms, and size rounds to at least 100 ms each
  let count = 0
  const warmStart = performance.now()
  while (count < repeats || performance.now() - warmStart < 300) {
    evaluator.evaluate(state.positionsNm, box, forces, energyByGroup)
    count++
  }
  const perRound = Math.max(repeats, Math.ceil(count * 100 / (performance.now() - warmStart)))
  // median of 5 rounds (the machine may be shared)
  const rounds: number[] = []
  for (let round = 0; round < 5; round++) {
    const started = performance.now()
    for (let k = 0; k < perRound; k++) evaluator.evaluate(state.positionsNm, box, forces, energyByGroup)
    rounds.push((performance.now() - started) / perRound)
  }
  const builtinMs = rounds.sort((a, b) => a - b)[2]

  // Neighbour-list rebuild: one kernel, every call after moving an atom by 1 nm back and forth
  // (forces a rebuild), minus a call without a rebuild; median of rounds.
  let rebuildMs = 0
  const nonbonded = system.forces.find((force) => force.type === 'NonbondedForce')
  if (nonbonded !== undefined && nonbonded.type === 'NonbondedForce' && nonbonded.method !== 'NoCutoff') {
    const kernel = new NonbondedKernel(nonbonded, system.particleCount, { threads: 1 })
    const moved = Float64Array.from(state.positionsNm)
    const samples: number[] = []
    for (let round = 0; round < 15; round++) {
      moved[0] += round % 2 === 0 ? 1 : -1
      const t0 = performance.now()
      kernel.compute(moved, box, forces, energyByGroup, -1)
      const t1 = performance.now()
      kernel.compute(moved, box, forces, energyByGroup, -1)
      const t2 = performance.now()
      if (round >= 5) samples.push((t1 - t0) - (t2 - t1))
    }
    rebuildMs = samples.sort((a, b) => a - b)[samples.length >> 1]
  }
  return { fixture, atoms: system.particleCount, builtinMs, rebuildMs }
}

const OPENMM_TIMER = `
import sys, time, openmm as mm
d, platform, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
system = mm.XmlSerializer.deserialize(open(d + '/system.xml').read())
state = mm.XmlSerializer.deserialize(open(d + '/state.xml').read())
props = {'Threads': '2'} if platform == 'CPU' else {}
ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName(platform), props)
if system.usesPeriodicBoundaryConditions():
    ctx.setPeriodicBoxVectors(*state.getPeriodicBoxVectors())
ctx.setPositions(state.getPositions())
for _ in range(max(3, repeats // 5)):
    ctx.getState(getForces=True, getEnergy=True)
t = time.perf_counter()
for _ in range(repeats):
    ctx.getState(getForces=True, getEnergy=True)
print((time.perf_counter() - t) / repeats * 1000)
`

function benchOpenmm (fixture: string, platform: 'CPU' | 'Reference', count: number): number | undefined {
  const result = spawnSync(PYTHON, ['-c', OPENMM_TIMER, path.join(fixturesDir, fixture), platform, String(count)], { encoding: 'utf8' })
  if (result.status !== 0) return undefined
  return Number(result.stdout.trim())
}

function format (value: number | undefined, digits = 2): string {
  return value === undefined ? '-' : value.toFixed(digits)
}

const rows: Row[] = []
for (const fixture of fixtures) {
  const row = benchBuiltin(fixture)
  if (withOpenmm) {
    row.cpuMs = benchOpenmm(fixture, 'CPU', repeats)
    row.referenceMs = benchOpenmm(fixture, 'Reference', row.atoms > 3000 ? Math.max(3, Math.floor(repeats / 10)) : repeats)
  }
  rows.push(row)
}

console.log(`builtin: ${threads} thread(s) for the nonbonded pair loop; ${(await import('node:os')).availableParallelism()} cores; load average ${(await import('node:os')).loadavg()[0].toFixed(1)}`)
console.log('fixture                       atoms  builtin ms  rebuild ms  OpenMM CPU ms (2 thr)  OpenMM Ref ms  CPU/builtin  Ref/builtin')
for (const row of rows) {
  console.log([
    row.fixture.padEnd(28),
    String(row.atoms).padStart(6),
    format(row.builtinMs, 3).padStart(11),
    format(row.rebuildMs).padStart(11),
    format(row.cpuMs, 3).padStart(22),
    format(row.referenceMs, 3).padStart(14),
    format(row.cpuMs === undefined ? undefined : row.cpuMs / row.builtinMs).padStart(12),
    format(row.referenceMs === undefined ? undefined : row.referenceMs / row.builtinMs).padStart(12),
  ].join(' '))
}
