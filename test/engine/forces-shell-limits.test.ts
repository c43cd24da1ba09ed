/**
 * Per-home shell limits of the neighbour list (NeighborList.homeShellLimit):
 * a pair can only have closed in by the sum of its two atoms' displacements,
 * so a home that has barely moved skips outer shells that a fast mover's
 * partners still need. Results must stay exact (vs a brute-force
 * minimum-image sum) while a few atoms move fast and the rest slowly, on one
 * thread and with the helper thread (bit for bit the same).
 */
import test from 'ava'
import type { NeighborList } from '../../src/engine/kernels/neighbor-list.ts'
import { NonbondedKernel } from '../../src/engine/kernels/nonbonded.ts'
import { box, bruteForceNonbonded, nonbondedForce, randomLiquid, relativeRmsError, seededRandom } from './helpers/force-systems.ts'

test('results stay exact when a few atoms move fast and the rest slowly (per-home shell limits), on one and two threads', t => {
  const cell = box(2.6, 2.5, 2.3, 1.2, -1.25, 1.1)
  const n = 1200
  const liquid = randomLiquid(n, 0, 31, 0.12, cell)
  const force = nonbondedForce(liquid.charge, liquid.sigma, liquid.epsilon, {
    method: 'CutoffPeriodic', cutoffNm: 0.8, switchingDistanceNm: 0.7, dispersionCorrection: false,
  })
  const single = new NonbondedKernel(force, n, { skinNm: 0.2, threads: 1 })
  const double = new NonbondedKernel(force, n, { skinNm: 0.2, threads: 2 })
  try {
    const positions = Float64Array.from(liquid.positions)
    const random = seededRandom(5)
    // every 10th atom moves 0.0045 nm per step, the others 0.0009 nm, each along a fixed random direction:
    // 21 steps stay below half the skin (no rebuild) while the fast atoms' partners reach every shell
    const direction = Float64Array.from({ length: 3 * n }, () => random() - 0.5)
    for (let i = 0; i < n; i++) {
      const norm = Math.hypot(direction[3 * i], direction[3 * i + 1], direction[3 * i + 2])
      const step = i % 10 === 0 ? 0.0045 : 0.0009
      for (let k = 0; k < 3; k++) direction[3 * i + k] *= step / norm
    }
    const limitsSeen = new Set<string>()
    for (let step = 0; step < 21; step++) {
      const forces = new Float64Array(3 * n)
      const energyByGroup = new Float64Array(32)
      single.compute(positions, cell, forces, energyByGroup, -1)
      const brute = bruteForceNonbonded(force, positions, cell)
      t.true(Math.abs(energyByGroup[0] - brute.energy) < 1e-10 * Math.abs(brute.energy), `step ${step}: ${energyByGroup[0]} vs ${brute.energy}`)
      t.true(relativeRmsError(forces, brute.forces) < 1e-10, `step ${step}`)
      const forcesTwo = new Float64Array(3 * n)
      const energyTwo = new Float64Array(32)
      double.compute(positions, cell, forcesTwo, energyTwo, -1)
      t.is(energyTwo[0], energyByGroup[0], `step ${step}: energy on two threads`)
      t.deepEqual(forcesTwo, forces, `step ${step}: forces on two threads`)
      const list = (single as unknown as { neighborList: NeighborList }).neighborList
      const limits = list.homeShellLimit
      let fast = 0
      let slow = 0
      for (let h = 0; h < n; h++) {
        if (list.imageAtom[list.homeImage[h]] % 10 === 0) fast = Math.max(fast, limits[h])
        else slow = Math.max(slow, limits[h])
        t.true(limits[h] <= list.shellLimit())
      }
      limitsSeen.add(`${fast}/${slow}`)
      for (let k = 0; k < 3 * n; k++) positions[k] += direction[k]
    }
    t.is(single.neighborListBuilds, 1)
    // homes that barely moved needed fewer shells than the fast movers at some point
    t.true([...limitsSeen].some((pair) => { const [fast, slow] = pair.split('/').map(Number); return slow < fast }), [...limitsSeen].join(' '))
  } finally {
    single.close()
    double.close()
  }
})
