/**
 * Periodic nonbonded forces: agreement with an independent brute-force
 * minimum-image sum (rectangular and triclinic reduced-form boxes, atoms far
 * outside the cell), translation invariance, neighbour-list rebuilds, and
 * typed errors for boxes and methods the builtin engine refuses.
 */
import test from 'ava'
import { ForceEvaluator } from '../../src/engine/force-evaluator.ts'
import { NonbondedKernel } from '../../src/engine/kernels/nonbonded.ts'
import type { BoxVectors, NonbondedForce } from '../../src/engine/system.ts'
import {
  box, bruteForceNonbonded, evaluate, makeSystem, nonbondedForce, randomLiquid, relativeRmsError, seededRandom,
} from './helpers/force-systems.ts'

const TRICLINIC = box(2.6, 2.5, 2.3, 1.2, -1.25, 1.1) // strongly skewed reduced form
const RHOMBIC_DODECAHEDRON = box(2.9, 2.9, 2.9 * Math.SQRT1_2, 0, -1.45, -1.45) // |cx| = ax/2, |cy| = by/2
const CUBIC = box(2.5, 2.5, 2.5)

const liquids = new Map<BoxVectors, ReturnType<typeof randomLiquid>>()
const liquidIn = (cell: BoxVectors): ReturnType<typeof randomLiquid> => {
  if (!liquids.has(cell)) liquids.set(cell, randomLiquid(300, 0, 11, 0.2, cell))
  return liquids.get(cell)!
}
const liquid = liquidIn(CUBIC)

function force (options: Partial<NonbondedForce> = {}, liquid = liquidIn(CUBIC)): NonbondedForce {
  const exceptions: Array<[number, number, number, number, number]> = []
  for (let i = 0; i + 2 < 300; i += 10) {
    exceptions.push([i, i + 1, 0, 1, 0], [i, i + 2, -0.05, 0.3, 0.3])
  }
  return {
    ...nonbondedForce(liquid.charge, liquid.sigma, liquid.epsilon, {
      method: 'CutoffPeriodic', cutoffNm: 1.0, switchingDistanceNm: 0.85, dispersionCorrection: true, exceptions,
    }),
    ...options,
  }
}

/**
 * Moves each group of 10 atoms (the exceptions lie within groups, and are not
 * periodic, as OpenMM's default) by a random lattice vector (up to +-3
 * cells), and all atoms by `shift`.
 */
function scramble (positions: Float64Array, periodicBox: BoxVectors, shift: [number, number, number], seed: number): Float64Array {
  const random = seededRandom(seed)
  const moved = Float64Array.from(positions)
  let a = 0; let b = 0; let c = 0
  for (let i = 0; i < positions.length / 3; i++) {
    if (i % 10 === 0) { a = Math.floor(7 * random()) - 3; b = Math.floor(7 * random()) - 3; c = Math.floor(7 * random()) - 3 }
    moved[3 * i] += a * periodicBox[0] + b * periodicBox[3] + c * periodicBox[6] + shift[0]
    moved[3 * i + 1] += b * periodicBox[4] + c * periodicBox[7] + shift[1]
    moved[3 * i + 2] += c * periodicBox[8] + shift[2]
  }
  return moved
}

function dispersionEnergy (nonbonded: NonbondedForce, periodicBox: BoxVectors, liquid = liquidIn(periodicBox)): number {
  const system = makeSystem(300, [nonbonded], periodicBox)
  const withoutSystem = makeSystem(300, [{ ...nonbonded, useDispersionCorrection: false }], periodicBox)
  return evaluate(system, liquid.positions, periodicBox).energy - evaluate(withoutSystem, liquid.positions, periodicBox).energy
}

for (const [name, periodicBox] of [['cubic', CUBIC], ['triclinic', TRICLINIC], ['rhombic dodecahedron', RHOMBIC_DODECAHEDRON]] as const) {
  test(`CutoffPeriodic agrees with a brute-force minimum-image sum (${name} box, atoms scattered over images)`, t => {
    const liquid = liquidIn(periodicBox)
    const nonbonded = force({}, liquid)
    const positions = scramble(liquid.positions, periodicBox, [0.37, -1.9, 4.2], 5)
    const result = evaluate(makeSystem(300, [nonbonded], periodicBox), positions, periodicBox)
    const brute = bruteForceNonbonded(nonbonded, positions, periodicBox)
    const expectedEnergy = brute.energy + dispersionEnergy(nonbonded, periodicBox)
    t.true(Math.abs(result.energy - expectedEnergy) < 1e-10 * Math.abs(expectedEnergy), `${result.energy} vs ${expectedEnergy}`)
    t.true(relativeRmsError(result.forces, brute.forces) < 1e-10)
  })

  test(`CutoffPeriodic is translation invariant (${name} box)`, t => {
    const liquid = liquidIn(periodicBox)
    const system = makeSystem(300, [force({}, liquid)], periodicBox)
    const reference = evaluate(system, liquid.positions, periodicBox)
    for (const [seed, shift] of [[1, [0.5, 0.7, -0.3]], [2, [13.1, -7.25, 2.9]], [3, [-0.001, 0.0005, 0.002]]] as const) {
      const moved = scramble(liquid.positions, periodicBox, [shift[0], shift[1], shift[2]], seed)
      const result = evaluate(system, moved, periodicBox)
      t.true(Math.abs(result.energy - reference.energy) < 1e-9 * Math.abs(reference.energy), `${result.energy} vs ${reference.energy}`)
      t.true(relativeRmsError(result.forces, reference.forces) < 1e-9)
    }
  })
}

test('CutoffNonPeriodic and NoCutoff agree with brute force', t => {
  for (const method of ['CutoffNonPeriodic', 'NoCutoff'] as const) {
    const nonbonded = force({ method, useDispersionCorrection: true })
    const result = evaluate(makeSystem(300, [nonbonded]), liquid.positions, null)
    const brute = bruteForceNonbonded(nonbonded, liquid.positions, null)
    t.true(Math.abs(result.energy - brute.energy) < 1e-10 * Math.abs(brute.energy), method)
    t.true(relativeRmsError(result.forces, brute.forces) < 1e-10, method)
  }
})

test('the neighbour list is rebuilt only after an atom moved more than half the skin, and results stay exact', t => {
  const liquid = liquidIn(TRICLINIC)
  const nonbonded = force({}, liquid)
  const kernel = new NonbondedKernel(nonbonded, 300, { skinNm: 0.1 })
  const forces = new Float64Array(900)
  const energyByGroup = new Float64Array(32)
  const random = seededRandom(9)
  const positions = Float64Array.from(liquid.positions)
  kernel.compute(positions, TRICLINIC, forces, energyByGroup, -1)
  t.is(kernel.neighborListBuilds, 1)
  for (let step = 0; step < 5; step++) {
    for (let k = 0; k < positions.length; k++) positions[k] += 0.004 * (random() - 0.5) // <= 0.0035 nm per atom per step
    forces.fill(0); energyByGroup.fill(0)
    kernel.compute(positions, TRICLINIC, forces, energyByGroup, -1)
    const brute = bruteForceNonbonded(nonbonded, positions, TRICLINIC)
    t.true(relativeRmsError(forces, brute.forces) < 1e-10)
  }
  t.is(kernel.neighborListBuilds, 1)
  positions[0] += 0.051
  forces.fill(0); energyByGroup.fill(0)
  kernel.compute(positions, TRICLINIC, forces, energyByGroup, -1)
  t.is(kernel.neighborListBuilds, 2)
  t.true(relativeRmsError(forces, bruteForceNonbonded(nonbonded, positions, TRICLINIC).forces) < 1e-10)
  // a new box forces a rebuild
  const larger = box(2.7, 2.5, 2.3, 1.2, -1.25, 1.1)
  kernel.compute(positions, larger, forces, energyByGroup, -1)
  t.is(kernel.neighborListBuilds, 3)
})

test('a box only slightly wider than twice the cutoff still gives exact results (skin shrinks)', t => {
  const tight = box(2.0001, 2.0001, 2.0001, 0.3, -0.9, 0.5)
  const liquid = liquidIn(tight)
  const nonbonded = force({}, liquid)
  const positions = scramble(liquid.positions, tight, [0.1, 0.2, 0.3], 4)
  const result = evaluate(makeSystem(300, [nonbonded], tight), positions, tight)
  t.true(relativeRmsError(result.forces, bruteForceNonbonded(nonbonded, positions, tight).forces) < 1e-10)
})

test('typed errors: periodic system without a box, box narrower than twice the cutoff', t => {
  // Ewald and PME have their own kernel (kernels/ewald); this one refuses them
  t.throws(() => new NonbondedKernel(force({ method: 'PME' }), 300), { name: 'UnsupportedForceError' })
  t.throws(() => new NonbondedKernel(force({ method: 'Ewald' }), 300), { name: 'UnsupportedForceError' })
  t.throws(() => new ForceEvaluator(makeSystem(300, [force({ switchingDistanceNm: 1.2 })])), { name: 'InvalidSystemError' })
  const evaluator = new ForceEvaluator(makeSystem(300, [force()]))
  const forces = new Float64Array(900)
  const energyByGroup = new Float64Array(32)
  t.throws(() => evaluator.evaluate(liquid.positions, null, forces, energyByGroup), { name: 'InvalidBoxError' })
  t.throws(() => evaluator.evaluate(liquid.positions, box(1.9, 2.5, 2.5), forces, energyByGroup), { name: 'InvalidBoxError' })
})

test('the pair loop and list search on two threads (helper thread) give bit-for-bit the energies and forces of one', t => {
  const big = randomLiquid(1500, 0, 17, 0.2, box(3.2, 3.1, 3.0, 0.9, -1.1, 0.7))
  const periodicBox = box(3.2, 3.1, 3.0, 0.9, -1.1, 0.7)
  const nonbonded = nonbondedForce(big.charge, big.sigma, big.epsilon, { method: 'CutoffPeriodic', cutoffNm: 1.0, switchingDistanceNm: 0.9, dispersionCorrection: true })
  const single = new NonbondedKernel(nonbonded, 1500, { threads: 1, skinNm: 0.05 })
  const double = new NonbondedKernel(nonbonded, 1500, { threads: 2, skinNm: 0.05 })
  try {
    const random = seededRandom(12)
    const positions = Float64Array.from(big.positions)
    for (let step = 0; step < 4; step++) {
      const forcesSingle = new Float64Array(4500); const energySingle = new Float64Array(32)
      const forcesDouble = new Float64Array(4500); const energyDouble = new Float64Array(32)
      single.compute(positions, periodicBox, forcesSingle, energySingle, -1)
      double.compute(positions, periodicBox, forcesDouble, energyDouble, -1)
      t.is(energyDouble[0], energySingle[0])
      t.deepEqual(forcesDouble, forcesSingle)
      for (let k = 0; k < positions.length; k++) positions[k] += 0.08 * (random() - 0.5) // rebuilds the list
    }
    t.true(double.neighborListBuilds >= 3)
  } finally {
    double.close()
  }
})
