/**
 * Forces are minus the gradient of the energy (central finite differences)
 * for every force type and every nonbonded method, on small hand-built
 * systems; parameter changes change the results as expected.
 */
import test from 'ava'
import type { BoxVectors, Force, System } from '../../src/engine/system.ts'
import {
  angleForce, bondForce, box, evaluate, finiteDifferenceForces, makeSystem, nonbondedForce, randomLiquid,
  rbForce, relativeRmsError, seededRandom, torsionForce, type NonbondedOptions,
} from './helpers/force-systems.ts'

/** A bent, twisted 6-atom chain (nm). */
const CHAIN = Float64Array.from([
  0.00, 0.00, 0.00,
  0.15, 0.02, -0.01,
  0.21, 0.15, 0.03,
  0.36, 0.17, 0.09,
  0.43, 0.29, 0.02,
  0.58, 0.31, 0.08,
])

function bondedForces (periodic: boolean): Force[] {
  return [
    bondForce([[0, 1, 0.153, 2.5e5], [1, 2, 0.14, 3e5], [2, 3, 0.16, 2e5], [3, 4, 0.15, 2.2e5], [4, 5, 0.149, 2.9e5]], 0, periodic),
    angleForce([[0, 1, 2, 1.91, 400], [1, 2, 3, 2.0, 500], [2, 3, 4, 1.8, 300], [3, 4, 5, 1.95, 420]], 1, periodic),
    torsionForce([[0, 1, 2, 3, 1, 0.3, 2.5], [1, 2, 3, 4, 2, Math.PI, 4.1], [2, 3, 4, 5, 3, 0, 1.7], [0, 1, 2, 3, 4, 1.1, 0.8]], 2, periodic),
    rbForce([[0, 1, 2, 3, [9.28, 12.16, -13.12, -3.06, 26.24, -31.5]], [2, 3, 4, 5, [1.5, -2.1, 3.3, 0.7, -1.2, 0.4]]], 3, periodic),
  ]
}

function assertForcesMatchGradient (t: import('ava').ExecutionContext, system: System, positions: Float64Array, periodicBox: BoxVectors | null, tolerance = 1e-6): void {
  const { forces } = evaluate(system, positions, periodicBox)
  const numerical = finiteDifferenceForces(system, positions, periodicBox)
  const error = relativeRmsError(forces, numerical)
  t.true(error < tolerance, `relative RMS force error ${error} vs finite differences`)
}

test('bonded forces (bond, angle, periodic torsion, RB torsion) are minus the energy gradient', t => {
  const system = makeSystem(6, bondedForces(false))
  assertForcesMatchGradient(t, system, CHAIN, null)
  // each group on its own, too
  for (let group = 0; group < 4; group++) {
    const single = makeSystem(6, [bondedForces(false)[group]])
    assertForcesMatchGradient(t, single, CHAIN, null)
  }
})

test('bonded forces use the minimum image when the force is periodic', t => {
  const periodicBox = box(0.9, 1.0, 1.1, 0.2, -0.3, 0.25)
  // the same chain, with atoms moved by lattice vectors: geometry (and energy) must not change
  const moved = Float64Array.from(CHAIN)
  const lattice = (atom: number, a: number, b: number, c: number): void => {
    moved[3 * atom] += a * periodicBox[0] + b * periodicBox[3] + c * periodicBox[6]
    moved[3 * atom + 1] += b * periodicBox[4] + c * periodicBox[7]
    moved[3 * atom + 2] += c * periodicBox[8]
  }
  lattice(1, 1, 0, 0); lattice(3, -1, 2, 1); lattice(4, 0, -1, 3); lattice(5, 2, 2, -2)
  const reference = evaluate(makeSystem(6, bondedForces(false)), CHAIN, null)
  const periodicSystem = makeSystem(6, bondedForces(true), periodicBox)
  const result = evaluate(periodicSystem, moved, periodicBox)
  t.true(Math.abs(result.energy - reference.energy) < 1e-9 * Math.abs(reference.energy))
  t.true(relativeRmsError(result.forces, reference.forces) < 1e-9)
  assertForcesMatchGradient(t, periodicSystem, moved, periodicBox)
})

test('torsions: OpenMM sign convention (trans = 180 deg) and RB psi = phi - 180 deg', t => {
  // planar trans chain: phi = pi. k(1+cos(phi)) = 0 for n=1, phase 0; RB c1 cos(psi) = c1 (psi = 0)
  const trans = Float64Array.from([1, 1, 0, 0, 0, 0, 1, 0, 0, 2, -1, 0])
  const periodic = makeSystem(4, [torsionForce([[0, 1, 2, 3, 1, 0, 5]])])
  t.true(Math.abs(evaluate(periodic, trans, null).energy) < 1e-12)
  const rb = makeSystem(4, [rbForce([[0, 1, 2, 3, [0, 3, 0, 0, 0, 0]]])])
  t.true(Math.abs(evaluate(rb, trans, null).energy - 3) < 1e-12)
  // A-B-C-D = (0,1,0) (0,0,0) (1,0,0) (1,0,1): phi = +90 deg (A.(BC x CD) > 0, as OpenMM)
  const gauche = Float64Array.from([0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1])
  const shifted = makeSystem(4, [torsionForce([[0, 1, 2, 3, 1, Math.PI / 2, 5]])])
  // E = k(1 + cos(phi - phase)) = 2k at phi = phase = +90 deg (it would be 0 at phi = -90 deg)
  const energy = evaluate(shifted, gauche, null).energy
  t.true(Math.abs(energy - 10) < 1e-12, `E=${energy}`)
})

test('doubling force constants doubles bonded energies and forces', t => {
  const base = evaluate(makeSystem(6, bondedForces(false)), CHAIN, null)
  const doubled = bondedForces(false).map((force) => {
    if (force.type === 'RBTorsionForce') return { ...force, c: force.c.map((value) => 2 * value) }
    if ('k' in force) return { ...force, k: force.k.map((value: number) => 2 * value) }
    return force
  }) as Force[]
  const result = evaluate(makeSystem(6, doubled), CHAIN, null)
  for (let group = 0; group < 4; group++) {
    t.true(Math.abs(result.energyByGroup[group] - 2 * base.energyByGroup[group]) < 1e-9 * Math.abs(base.energyByGroup[group]) + 1e-12)
  }
  t.true(relativeRmsError(result.forces, base.forces.map((value) => 2 * value)) < 1e-12)
})

const liquid = randomLiquid(40, 1.9, 7)
const exceptions: Array<[number, number, number, number, number]> = [
  [0, 1, 0, 1, 0], [2, 3, 0, 1, 0], // exclusions
  [4, 5, -0.12, 0.3, 0.2], [6, 9, 0.05, 0.28, 0], [10, 11, 0, 0.31, 0.5], // 1-4 style exceptions
]

function nonbondedSystem (options: NonbondedOptions, periodicBox: BoxVectors | null = null): System {
  return makeSystem(40, [nonbondedForce(liquid.charge, liquid.sigma, liquid.epsilon, { exceptions, ...options })], periodicBox)
}

function minimumPairDistanceToCutoff (positions: Float64Array, cutoff: number, periodicBox: BoxVectors | null): number {
  let closest = Infinity
  const n = positions.length / 3
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let dx = positions[3 * j] - positions[3 * i]; let dy = positions[3 * j + 1] - positions[3 * i + 1]; let dz = positions[3 * j + 2] - positions[3 * i + 2]
      if (periodicBox !== null) {
        dx -= periodicBox[0] * Math.round(dx / periodicBox[0]); dy -= periodicBox[4] * Math.round(dy / periodicBox[4]); dz -= periodicBox[8] * Math.round(dz / periodicBox[8])
      }
      closest = Math.min(closest, Math.abs(Math.hypot(dx, dy, dz) - cutoff))
    }
  }
  return closest
}

test('nonbonded NoCutoff: forces are minus the energy gradient', t => {
  assertForcesMatchGradient(t, nonbondedSystem({ method: 'NoCutoff' }), liquid.positions, null)
})

test('nonbonded CutoffNonPeriodic (reaction field): forces are minus the energy gradient', t => {
  t.true(minimumPairDistanceToCutoff(liquid.positions, 0.8, null) > 1e-4)
  assertForcesMatchGradient(t, nonbondedSystem({ method: 'CutoffNonPeriodic', cutoffNm: 0.8 }), liquid.positions, null)
  assertForcesMatchGradient(t, nonbondedSystem({ method: 'CutoffNonPeriodic', cutoffNm: 0.8, switchingDistanceNm: 0.6 }), liquid.positions, null)
})

test('nonbonded CutoffPeriodic (reaction field, switching, dispersion correction): forces are minus the energy gradient', t => {
  const periodicBox = box(1.9, 1.9, 1.9)
  t.true(minimumPairDistanceToCutoff(liquid.positions, 0.9, periodicBox) > 1e-4)
  assertForcesMatchGradient(t, nonbondedSystem({ method: 'CutoffPeriodic', cutoffNm: 0.9 }, periodicBox), liquid.positions, periodicBox)
  assertForcesMatchGradient(t, nonbondedSystem({ method: 'CutoffPeriodic', cutoffNm: 0.9, switchingDistanceNm: 0.7, dispersionCorrection: true }, periodicBox), liquid.positions, periodicBox)
})

test('nonbonded CutoffPeriodic in a triclinic box: forces are minus the energy gradient', t => {
  const periodicBox = box(1.9, 1.85, 1.8, 0.5, -0.6, 0.4)
  const system = nonbondedSystem({ method: 'CutoffPeriodic', cutoffNm: 0.85, switchingDistanceNm: 0.7, dispersionCorrection: true }, periodicBox)
  assertForcesMatchGradient(t, system, liquid.positions, periodicBox)
})

test('nonbonded: scaling charges by 2 scales Coulomb energy by 4; epsilon by 3 scales LJ energy by 3', t => {
  const periodicBox = box(1.9, 1.9, 1.9)
  const zeros = liquid.charge.map(() => 0)
  const options: NonbondedOptions = { method: 'CutoffPeriodic', cutoffNm: 0.9, exceptions: [] }
  const coulomb = (scale: number): number => evaluate(makeSystem(40, [nonbondedForce(liquid.charge.map((q) => scale * q), liquid.sigma, zeros, options)]), liquid.positions, periodicBox).energy
  t.true(Math.abs(coulomb(2) - 4 * coulomb(1)) < 1e-9 * Math.abs(coulomb(1)))
  const lj = (scale: number): number => evaluate(makeSystem(40, [nonbondedForce(zeros, liquid.sigma, liquid.epsilon.map((e) => scale * e), options)]), liquid.positions, periodicBox).energy
  t.true(Math.abs(lj(3) - 3 * lj(1)) < 1e-9 * Math.abs(lj(1)))
})

test('dispersion correction depends on the box volume only and adds no force', t => {
  const small = box(1.9, 1.9, 1.9)
  const large = box(2.2, 2.1, 2.0)
  const withCorrection = nonbondedSystem({ method: 'CutoffPeriodic', cutoffNm: 0.9, dispersionCorrection: true })
  const without = nonbondedSystem({ method: 'CutoffPeriodic', cutoffNm: 0.9 })
  const correction = (periodicBox: BoxVectors): number => evaluate(withCorrection, liquid.positions, periodicBox).energy - evaluate(without, liquid.positions, periodicBox).energy
  const volumeSmall = 1.9 ** 3
  const volumeLarge = 2.2 * 2.1 * 2.0
  t.true(correction(small) < 0)
  t.true(Math.abs(correction(small) * volumeSmall - correction(large) * volumeLarge) < 1e-9 * Math.abs(correction(small) * volumeSmall))
  t.true(relativeRmsError(evaluate(withCorrection, liquid.positions, small).forces, evaluate(without, liquid.positions, small).forces) < 1e-14)
})

test('force groups: the mask selects groups and energyByGroup reports each', t => {
  const periodicBox = box(1.9, 1.9, 1.9)
  const random = seededRandom(3)
  const positions = Float64Array.from(liquid.positions, (value) => value + 0.001 * random())
  const forces: Force[] = [
    nonbondedForce(liquid.charge, liquid.sigma, liquid.epsilon, { method: 'CutoffPeriodic', cutoffNm: 0.9, group: 5, exceptions }),
    bondForce([[0, 1, 0.3, 1000]], 31),
  ]
  const system = makeSystem(40, forces, periodicBox)
  const all = evaluate(system, positions, periodicBox)
  const only31 = evaluate(system, positions, periodicBox, 1 << 31)
  const only5 = evaluate(system, positions, periodicBox, 1 << 5)
  t.true(Math.abs(only31.energy - all.energyByGroup[31]) < 1e-12)
  t.true(Math.abs(only5.energy - all.energyByGroup[5]) < 1e-9)
  t.true(Math.abs(all.energy - all.energyByGroup[5] - all.energyByGroup[31]) < 1e-9)
  t.is(only31.energyByGroup[5], 0)
  t.is(evaluate(system, positions, periodicBox, 0).energy, 0)
})
