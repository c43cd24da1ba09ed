/**
 * The neighbour list behind the nonbonded pair loop: every pair within the
 * cutoff listed exactly once (rectangular, triclinic, no box), results exact
 * while atoms drift up to half the skin (the pair loop skips the outer shells
 * of once-distant partners until atoms have moved enough to bring them in),
 * and the helper-thread policy (HelperChoice keeps the faster way).
 */
import test from 'ava'
import { buildExclusionLists } from '../../src/engine/kernels/exclusions.ts'
import { HelperChoice, resolveForceThreads } from '../../src/engine/kernels/force-threads.ts'
import { NeighborList } from '../../src/engine/kernels/neighbor-list.ts'
import { NonbondedKernel } from '../../src/engine/kernels/nonbonded.ts'
import type { BoxVectors } from '../../src/engine/system.ts'
import { box, bruteForceNonbonded, nonbondedForce, randomLiquid, relativeRmsError, seededRandom } from './helpers/force-systems.ts'

const CUTOFF_NM = 0.9

/** Minimum-image squared distance in a reduced-form box, or plain without one. */
function distance2 (positions: Float64Array, i: number, j: number, cell: BoxVectors | null): number {
  let dx = positions[3 * j] - positions[3 * i]
  let dy = positions[3 * j + 1] - positions[3 * i + 1]
  let dz = positions[3 * j + 2] - positions[3 * i + 2]
  if (cell !== null) {
    const nc = Math.round(dz / cell[8]); dx -= nc * cell[6]; dy -= nc * cell[7]; dz -= nc * cell[8]
    const nb = Math.round(dy / cell[4]); dx -= nb * cell[3]; dy -= nb * cell[4]
    dx -= Math.round(dx / cell[0]) * cell[0]
  }
  return dx * dx + dy * dy + dz * dz
}

for (const [name, cell] of [['cubic', box(2.6, 2.6, 2.6)], ['triclinic', box(2.6, 2.5, 2.3, 1.2, -1.25, 1.1)], ['no box', null]] as const) {
  test(`${name}: every pair within the cutoff is listed exactly once, exclusions never`, t => {
    const n = 400
    const liquid = randomLiquid(n, 0, 5, 0.18, cell ?? box(2.6, 2.6, 2.6))
    // atoms far outside the cell, as in long runs with unwrapped coordinates
    const random = seededRandom(3)
    const positions = Float64Array.from(liquid.positions, (x) => x + (cell === null ? 0 : Math.round(6 * (random() - 0.5)) * 2.6))
    const p1 = Int32Array.from({ length: 40 }, (_, k) => 10 * k)
    const p2 = Int32Array.from({ length: 40 }, (_, k) => 10 * k + 1)
    const list = new NeighborList(n, CUTOFF_NM, buildExclusionLists(n, p1, p2), 0.2)
    list.update(positions, cell)
    const seen = new Map<number, number>()
    for (let h = 0; h < n; h++) {
      const i = list.imageAtom[list.homeImage[h]]
      for (let k = list.start[h]; k < list.start[h + 1]; k++) {
        const j = list.imageAtom[list.neighbors[k]]
        const key = Math.min(i, j) * n + Math.max(i, j)
        seen.set(key, (seen.get(key) ?? 0) + 1)
      }
    }
    let within = 0
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const excluded = j === i + 1 && i % 10 === 0 && i < 400
        const count = seen.get(i * n + j) ?? 0
        if (excluded) { t.is(count, 0); continue }
        if (distance2(positions, i, j, cell) < CUTOFF_NM * CUTOFF_NM) { within++; t.is(count, 1, `pair ${i}-${j}`) }
        t.true(count <= 1)
      }
    }
    t.true(within > 1000)
  })
}

test('results stay exact while atoms drift up to half the skin without a rebuild (outer shells join the loop as needed)', t => {
  const cell = box(2.6, 2.5, 2.3, 1.2, -1.25, 1.1)
  const liquid = randomLiquid(300, 0, 21, 0.2, cell)
  const force = nonbondedForce(liquid.charge, liquid.sigma, liquid.epsilon, {
    method: 'CutoffPeriodic', cutoffNm: 0.8, switchingDistanceNm: 0.7, dispersionCorrection: false,
  })
  const kernel = new NonbondedKernel(force, 300, { skinNm: 0.2, threads: 1 })
  const positions = Float64Array.from(liquid.positions)
  const forces = new Float64Array(900)
  const energyByGroup = new Float64Array(32)
  const random = seededRandom(8)
  // each step every atom moves 0.0045 nm along a fixed random direction: 22 steps reach 0.099 nm < skin/2
  const direction = Float64Array.from({ length: 900 }, () => random() - 0.5)
  for (let i = 0; i < 300; i++) {
    const norm = Math.hypot(direction[3 * i], direction[3 * i + 1], direction[3 * i + 2])
    for (let k = 0; k < 3; k++) direction[3 * i + k] *= 0.0045 / norm
  }
  const limits = new Set<number>()
  for (let step = 0; step < 22; step++) {
    forces.fill(0); energyByGroup.fill(0)
    kernel.compute(positions, cell, forces, energyByGroup, -1)
    const brute = bruteForceNonbonded(force, positions, cell)
    t.true(Math.abs(energyByGroup[0] - brute.energy) < 1e-10 * Math.abs(brute.energy), `step ${step}: ${energyByGroup[0]} vs ${brute.energy}`)
    t.true(relativeRmsError(forces, brute.forces) < 1e-10, `step ${step}`)
    limits.add((kernel as unknown as { neighborList: NeighborList }).neighborList.shellLimit())
    for (let k = 0; k < 900; k++) positions[k] += direction[k]
  }
  t.is(kernel.neighborListBuilds, 1)
  t.deepEqual([...limits].sort(), [0, 1, 2, 3])
})

test('the helper-thread choice keeps the faster way and probes again later', t => {
  const timeOf = (twoThreadsMs: number, oneThreadMs: number, evaluations: number): number => {
    const choice = new HelperChoice('auto')
    let withHelper = 0
    for (let k = 0; k < evaluations; k++) {
      const useHelper = choice.useHelper()
      if (useHelper && k >= 100) withHelper++
      choice.record(useHelper ? twoThreadsMs : oneThreadMs)
    }
    return withHelper
  }
  t.true(timeOf(1, 2, 600) > 450) // the helper pays: used nearly always after probing
  t.true(timeOf(2, 1, 600) === 0) // it does not: not used after probing
  const forced = new HelperChoice(2)
  t.true(forced.useHelper())
  t.false(new HelperChoice(1).useHelper())
  t.is(resolveForceThreads(1), 1)
  t.is(resolveForceThreads(2), 2)
})
