/**
 * MonteCarloBarostat (isotropic) as OpenMM 7.7 defines it:
 * - molecules found from constraints and bonds, scaled rigidly by centre;
 * - the acceptance rule samples the NPT volume distribution: for an ideal
 *   gas of N particles <V> = (N + 1) kT / P exactly;
 * - a TIP3P water box with PME under LangevinMiddle + barostat settles at
 *   the average density OpenMM's CPU platform gives on the same system
 *   (barostat-water fixture). Short run here (set MDSWARM_LONG_TESTS=1 for a
 *   longer, tighter one).
 */
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { BAROSTAT_STATE_WORDS, MonteCarloBarostatUpdater } from '../../src/engine/barostat/monte-carlo-barostat.ts'
import { encodeCheckpoint } from '../../src/engine/checkpoint.ts'
import { findMolecules } from '../../src/engine/barostat/molecules.ts'
import { Context } from '../../src/engine/context.ts'
import { ForceEvaluator } from '../../src/engine/force-evaluator.ts'
import { BOLTZMANN_KJ_PER_MOL_K } from '../../src/engine/kinetic.ts'
import { RNG_STATE_WORDS } from '../../src/engine/rng.ts'
import { Simulation } from '../../src/engine/simulation.ts'
import type { MonteCarloBarostat, NonbondedForce, System } from '../../src/engine/system.ts'
import { parseIntegratorXml } from '../../src/engine/xml/integrator-xml.ts'
import { parseStateXml } from '../../src/engine/xml/state-xml.ts'
import { parseSystemXml } from '../../src/engine/xml/system-xml.ts'
import { seededRandom } from './helpers/force-systems.ts'

const fixturesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures')
const LONG = process.env.MDSWARM_LONG_TESTS === '1'
const GRAMS_PER_AMU = 1.66053906660e-24

const fixture = (name: string, file: string): string => fs.readFileSync(path.join(fixturesDir, name, file), 'utf8')
const hasFixture = (name: string): boolean => fs.existsSync(path.join(fixturesDir, name, 'reference.json'))

test('molecules: one per water, one for the bonded peptide', t => {
  if (!hasFixture('pme-cubic')) return t.pass('fixture not generated yet')
  const system = parseSystemXml(fixture('pme-cubic', 'system.xml'))
  const molecules = findMolecules(system)
  t.is(molecules.count, 1 + (system.particleCount - 22) / 3)
  t.is(molecules.start[1], 22)
  t.deepEqual(Array.from(molecules.atoms.subarray(22, 25)), [22, 23, 24])
})

test('barostat moves keep molecules rigid, scale their centres, and a rejected move restores everything', t => {
  if (!hasFixture('barostat-water')) return t.pass('fixture not generated yet')
  const system = parseSystemXml(fixture('barostat-water', 'system.xml'))
  const state = parseStateXml(fixture('barostat-water', 'state.xml'))
  const barostat = system.forces.find((f): f is MonteCarloBarostat => f.type === 'MonteCarloBarostat')!
  const updater = new MonteCarloBarostatUpdater(system, { ...barostat, frequency: 1 }, 99)
  const evaluator = new ForceEvaluator(system)
  const positions = Float64Array.from(state.positionsNm)
  const box = Float64Array.from(state.box!)
  const forces = new Float64Array(positions.length)
  const energies = new Float64Array(32)
  const distance = (x: Float64Array, a: number, b: number): number => Math.hypot(x[3 * a] - x[3 * b], x[3 * a + 1] - x[3 * b + 1], x[3 * a + 2] - x[3 * b + 2])
  let accepted = 0
  for (let attempt = 0; attempt < 12; attempt++) {
    const before = Float64Array.from(positions)
    const boxBefore = Float64Array.from(box)
    const energy = evaluator.evaluate(positions, box, forces, energies)
    const changed = updater.update(positions, box, () => energy, evaluator)
    if (!changed) {
      t.deepEqual(positions, before)
      t.deepEqual(box, boxBefore)
      continue
    }
    accepted++
    const scale = box[0] / boxBefore[0]
    t.true(Math.abs(box[4] / boxBefore[4] - scale) < 1e-12 && Math.abs(box[8] / boxBefore[8] - scale) < 1e-12)
    for (let first = 0; first < 30; first += 3) {
      t.true(Math.abs(distance(positions, first, first + 1) - distance(before, first, first + 1)) < 1e-12)
      for (let d = 0; d < 3; d++) {
        const centreBefore = (before[3 * first + d] + before[3 * first + 3 + d] + before[3 * first + 6 + d]) / 3
        const centreAfter = (positions[3 * first + d] + positions[3 * first + 3 + d] + positions[3 * first + 6 + d]) / 3
        t.true(Math.abs(centreAfter - scale * centreBefore) < 1e-12)
      }
    }
  }
  t.is(updater.totalAttempted, 12)
  t.is(updater.totalAccepted, accepted)
})

test('ideal gas: the sampled mean volume is (N + 1) kT / P', t => {
  // N non-interacting particles: a periodic NonbondedForce with zero charges and epsilons has zero energy.
  const n = 40
  const temperatureK = 300
  const meanVolumeTarget = 30
  const kT = BOLTZMANN_KJ_PER_MOL_K * temperatureK
  const pressureKJPerMolNm3 = (n + 1) * kT / meanVolumeTarget
  const pressureBar = pressureKJPerMolNm3 / (6.02214076e23 * 1e-25)
  const zeros = new Float64Array(n)
  const nonbonded: NonbondedForce = {
    type: 'NonbondedForce', forceGroup: 0, method: 'CutoffPeriodic', cutoffNm: 0.5, useSwitchingFunction: false,
    switchingDistanceNm: 0, useDispersionCorrection: false, reactionFieldDielectric: 78.3, ewaldErrorTolerance: 5e-4,
    reciprocalSpaceForceGroup: -1, charge: zeros, sigmaNm: Float64Array.from(zeros, () => 0.3), epsilon: zeros,
    exceptionP1: new Int32Array(0), exceptionP2: new Int32Array(0), exceptionChargeProd: new Float64Array(0),
    exceptionSigmaNm: new Float64Array(0), exceptionEpsilon: new Float64Array(0),
  }
  const barostat: MonteCarloBarostat = { type: 'MonteCarloBarostat', forceGroup: 0, pressureBar, temperatureK, frequency: 1, randomSeed: 5 }
  const edge = Math.cbrt(meanVolumeTarget)
  const system: System = {
    particleCount: n, masses: new Float64Array(n).fill(40),
    constraints: { p1: new Int32Array(0), p2: new Int32Array(0), distanceNm: new Float64Array(0) },
    forces: [nonbonded, barostat], defaultBox: new Float64Array([edge, 0, 0, 0, edge, 0, 0, 0, edge]), forceTypes: ['NonbondedForce', 'MonteCarloBarostat'],
  }
  const random = seededRandom(1)
  const positions = Float64Array.from({ length: 3 * n }, () => edge * random())
  const box = Float64Array.from(system.defaultBox!)
  const evaluator = new ForceEvaluator(system)
  const updater = new MonteCarloBarostatUpdater(system, barostat, 12345)
  let sum = 0
  let samples = 0
  const attempts = 20000
  for (let a = 0; a < attempts; a++) {
    updater.update(positions, box, () => 0, evaluator)
    if (a >= 1000) { sum += box[0] * box[4] * box[8]; samples++ }
  }
  const mean = sum / samples
  t.log(`mean volume ${mean.toFixed(3)} nm^3, expected ${meanVolumeTarget}, acceptance ${(updater.totalAccepted / updater.totalAttempted).toFixed(2)}`)
  t.true(Math.abs(mean - meanVolumeTarget) < 0.04 * meanVolumeTarget)
})

test('barostat-water: the average density under PME + barostat matches OpenMM', t => {
  if (!hasFixture('barostat-water')) return t.pass('fixture not generated yet')
  const reference = JSON.parse(fixture('barostat-water', 'reference.json')) as {
    barostat?: { averageDensityGPerCm3: number, densityStandardError: number, totalMassAmu: number }
  }
  if (reference.barostat === undefined) return t.pass('barostat reference run not in the fixture yet')
  const system = parseSystemXml(fixture('barostat-water', 'system.xml'))
  const integrator = parseIntegratorXml(fixture('barostat-water', 'integrator.xml'))
  const state = parseStateXml(fixture('barostat-water', 'state.xml'))
  const context = new Context(system, integrator, state, { seed: 2024 })
  const steps = LONG ? 15000 : 1500
  const warmup = LONG ? 2500 : 250
  const every = 25
  let sum = 0
  let samples = 0
  for (let done = 0; done < steps; done += every) {
    context.stepIntegrator(every)
    if (done + every <= warmup) continue
    const box = context.box!
    sum += reference.barostat.totalMassAmu * GRAMS_PER_AMU / (box[0] * box[4] * box[8] * 1e-21)
    samples++
  }
  const density = sum / samples
  const tolerance = LONG ? 0.015 : 0.04
  t.log(`density ${density.toFixed(4)} g/cm3 over ${(steps - warmup) * 0.002} ps, OpenMM ${reference.barostat.averageDensityGPerCm3.toFixed(4)} +- ${reference.barostat.densityStandardError.toFixed(4)}; barostat accepted ${context.barostat!.totalAccepted}/${context.barostat!.totalAttempted}`)
  t.true(context.barostat!.totalAttempted === Math.floor(steps / 25))
  t.true(Math.abs(density - reference.barostat.averageDensityGPerCm3) < tolerance)
})

test('barostat-water: checkpoint resume continues the barostat exactly (its generator, volume range and counters travel in the checkpoint)', t => {
  const inputs = { systemXml: fixture('barostat-water', 'system.xml'), integratorXml: fixture('barostat-water', 'integrator.xml'), stateXml: fixture('barostat-water', 'state.xml'), seed: 99, threads: 1 as const }
  const uninterrupted = Simulation.fromInputs(inputs)
  let resumed: Simulation | undefined
  try {
    uninterrupted.run({ steps: 60, reportEvery: 30 })
    const checkpoint = uninterrupted.checkpoint()
    t.is(checkpoint.rngState?.length, RNG_STATE_WORDS + BAROSTAT_STATE_WORDS, 'integrator and barostat states')
    uninterrupted.run({ steps: 60, reportEvery: 30 })
    resumed = Simulation.fromInputs({ ...inputs, seed: 1, checkpoint: encodeCheckpoint(checkpoint) })
    resumed.run({ steps: 60, reportEvery: 30 })
    t.deepEqual(resumed.context.box, uninterrupted.context.box)
    t.deepEqual(resumed.context.positionsNm, uninterrupted.context.positionsNm)
    t.deepEqual(resumed.context.velocitiesNmPerPs, uninterrupted.context.velocitiesNmPerPs)
    t.true(uninterrupted.context.barostat!.totalAttempted >= 4)

    // a random state of a length no checkpoint has is a CheckpointError
    const odd = { ...checkpoint, rngState: checkpoint.rngState!.subarray(0, 9) }
    const error = t.throws(() => Simulation.fromInputs({ ...inputs, checkpoint: encodeCheckpoint(odd) }))
    t.is(error?.name, 'CheckpointError')
  } finally {
    uninterrupted.close()
    resumed?.close()
  }
})
