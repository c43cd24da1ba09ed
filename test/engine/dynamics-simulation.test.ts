import test from 'ava'
import { decodeCheckpoint, encodeCheckpoint } from '../../src/engine/checkpoint.ts'
import { Context } from '../../src/engine/context.ts'
import type { Frame } from '../../src/engine/frame.ts'
import { Simulation, type SimulationInputs } from '../../src/engine/simulation.ts'
import { fixtureText, loadDynamicsFixture, maxConstraintError } from './helpers/dynamics-fixtures.ts'

const ALA2 = 'ala2-vacuum-dynamics'
const WATER = 'water-box-rigid'

function ala2Inputs (integratorFile: string, extra: Partial<SimulationInputs> = {}): SimulationInputs {
  return {
    systemXml: fixtureText(ALA2, 'system.xml'),
    integratorXml: fixtureText(ALA2, integratorFile),
    stateXml: fixtureText(ALA2, 'state.xml'),
    ...extra,
  }
}

function errorName (fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return (error as Error).name
  }
  return undefined
}

test('frames come at absolute multiples of reportEvery, with energies and float32 positions', t => {
  const simulation = Simulation.fromInputs(ala2Inputs('verlet.xml'))
  const frames: Frame[] = []
  const progress: number[] = []
  simulation.run({ steps: 25, reportEvery: 10, onFrame: f => frames.push(f), onProgress: n => progress.push(n) })
  simulation.run({ steps: 15, reportEvery: 10, onFrame: f => frames.push(f) })
  t.deepEqual(frames.map(f => f.step), [10, 20, 30, 40])
  t.is(simulation.step, 40)
  t.true(Math.abs(simulation.timePs - 0.04) < 1e-12)
  t.is(progress[progress.length - 1], 25)
  for (const frame of frames) {
    t.true(frame.positionsNm instanceof Float32Array)
    t.is(frame.positionsNm.length, 66)
    t.true(Number.isFinite(frame.potentialEnergy) && frame.kineticEnergy > 0 && frame.temperatureK > 0)
  }
  t.true(Math.abs(frames[0].timePs - 10 * 0.001) < 1e-15) // time accumulates dt per step, as OpenMM does
})

test('same seed, same trajectory; another seed, another trajectory (Langevin)', t => {
  const run = (seed: number): Float64Array => {
    const simulation = Simulation.fromInputs(ala2Inputs('langevin-middle.xml', { seed }))
    simulation.run({ steps: 200, reportEvery: 100 })
    return simulation.context.positionsNm
  }
  t.deepEqual(run(42), run(42))
  t.notDeepEqual(run(42), run(43))
})

for (const file of ['verlet.xml', 'langevin.xml', 'langevin-middle.xml']) {
  test(`checkpoint after k steps then resume reproduces the uninterrupted run bit for bit (${file})`, t => {
    const uninterrupted = Simulation.fromInputs(ala2Inputs(file, { seed: 9 }))
    const framesA: Frame[] = []
    uninterrupted.run({ steps: 300, reportEvery: 50, onFrame: f => framesA.push(f) })

    const first = Simulation.fromInputs(ala2Inputs(file, { seed: 9 }))
    const framesB: Frame[] = []
    first.run({ steps: 130, reportEvery: 50, onFrame: f => framesB.push(f) })
    const bytes = encodeCheckpoint(first.checkpoint())
    // A resumed run need not be given the seed: the generator state travels in the checkpoint.
    const resumed = Simulation.fromInputs(ala2Inputs(file, { checkpoint: bytes, seed: file === 'verlet.xml' ? undefined : 1 }))
    t.is(resumed.step, 130)
    resumed.run({ steps: 170, reportEvery: 50, onFrame: f => framesB.push(f) })

    t.deepEqual(resumed.context.positionsNm, uninterrupted.context.positionsNm)
    t.deepEqual(resumed.context.velocitiesNmPerPs, uninterrupted.context.velocitiesNmPerPs)
    t.is(resumed.timePs, uninterrupted.timePs)
    t.deepEqual(framesB, framesA)
    t.deepEqual(decodeCheckpoint(encodeCheckpoint(resumed.checkpoint())), uninterrupted.checkpoint())
  })
}

/**
 * On the periodic water box the force sums' rounding depends on the
 * positions the cutoff neighbour list was built from. A checkpoint restarts
 * the list (Simulation.checkpoint), as a run resumed from it builds its list
 * from the checkpoint's positions, so the two continue bit for bit alike; a
 * run that took no checkpoint agrees with both to rounding only.
 */
test('checkpoint resume on the periodic rigid-water box (SETTLE, neighbour list) reproduces the run bit for bit', t => {
  const inputs: SimulationInputs = {
    systemXml: fixtureText(WATER, 'system.xml'), integratorXml: fixtureText(WATER, 'integrator.xml'), stateXml: fixtureText(WATER, 'state.xml'),
  }
  const uninterrupted = Simulation.fromInputs(inputs)
  uninterrupted.run({ steps: 25, reportEvery: 20 })
  const bytes = encodeCheckpoint(uninterrupted.checkpoint())
  uninterrupted.run({ steps: 35, reportEvery: 20 })
  const resumed = Simulation.fromInputs({ ...inputs, checkpoint: bytes })
  resumed.run({ steps: 35, reportEvery: 20 })
  t.deepEqual(resumed.context.positionsNm, uninterrupted.context.positionsNm)
  t.deepEqual(resumed.context.velocitiesNmPerPs, uninterrupted.context.velocitiesNmPerPs)
  t.deepEqual(resumed.context.box, uninterrupted.context.box)
  t.is(resumed.step, uninterrupted.step)

  const withoutCheckpoint = Simulation.fromInputs(inputs)
  withoutCheckpoint.run({ steps: 60, reportEvery: 20 })
  let maxDifference = 0
  for (let k = 0; k < resumed.context.positionsNm.length; k++) {
    maxDifference = Math.max(maxDifference, Math.abs(resumed.context.positionsNm[k] - withoutCheckpoint.context.positionsNm[k]))
  }
  t.log(`a run that took no checkpoint differs by ${maxDifference.toExponential(2)} nm`)
  t.true(maxDifference < 1e-11)
})

test('checkpoint resume with PME (pme-cubic, Verlet) reproduces the run bit for bit, the resumed run on two threads', t => {
  const inputs: SimulationInputs = {
    systemXml: fixtureText('pme-cubic', 'system.xml'), integratorXml: fixtureText('pme-cubic', 'verlet.xml'), stateXml: fixtureText('pme-cubic', 'state.xml'),
  }
  const uninterrupted = Simulation.fromInputs({ ...inputs, threads: 1 })
  const resumedTwo = (bytes: Uint8Array): Simulation => Simulation.fromInputs({ ...inputs, checkpoint: bytes, threads: 2 })
  let resumed: Simulation | undefined
  try {
    uninterrupted.run({ steps: 15, reportEvery: 5 })
    const bytes = encodeCheckpoint(uninterrupted.checkpoint())
    uninterrupted.run({ steps: 25, reportEvery: 5 })
    resumed = resumedTwo(bytes)
    resumed.run({ steps: 25, reportEvery: 5 })
    t.deepEqual(resumed.context.positionsNm, uninterrupted.context.positionsNm)
    t.deepEqual(resumed.context.velocitiesNmPerPs, uninterrupted.context.velocitiesNmPerPs)
  } finally {
    uninterrupted.close()
    resumed?.close()
  }
})

test('without velocities: Maxwell-Boltzmann at the bath temperature for Langevin (seeded), rest for Verlet', t => {
  const noVelocities = { stateXml: undefined, pdb: fixtureText(ALA2, 'structure.pdb') }
  const a = Simulation.fromInputs(ala2Inputs('langevin.xml', { ...noVelocities, seed: 5 }))
  const b = Simulation.fromInputs(ala2Inputs('langevin.xml', { ...noVelocities, seed: 5 }))
  const c = Simulation.fromInputs(ala2Inputs('langevin.xml', { ...noVelocities, seed: 6 }))
  t.deepEqual(a.context.velocitiesNmPerPs, b.context.velocitiesNmPerPs)
  t.notDeepEqual(a.context.velocitiesNmPerPs, c.context.velocitiesNmPerPs)
  t.true(a.context.temperatureK() > 0)
  const verlet = Simulation.fromInputs(ala2Inputs('verlet.xml', noVelocities))
  t.true(verlet.context.velocitiesNmPerPs.every(v => v === 0))

  // 217 rigid waters: 1299 degrees of freedom, so one draw at 300 K lies within
  // 4 sd = 4 * 300 * sqrt(2/1299) = 47 K of it.
  const water = loadDynamicsFixture(WATER)
  const context = new Context(water.system, water.integrator('integrator.xml'), { ...water.state, velocitiesNmPerPs: null })
  context.setVelocitiesToTemperature(300, 77)
  t.true(Math.abs(context.temperatureK() - 300) < 47, `T = ${context.temperatureK()}`)
})

test('a huge time step blows up with SimulationBlowUpError carrying its step', t => {
  for (const stepSize of ['.02', '.2']) {
    const simulation = Simulation.fromInputs(ala2Inputs('verlet.xml', {
      integratorXml: fixtureText(ALA2, 'verlet.xml').replace('stepSize=".001"', `stepSize="${stepSize}"`),
    }))
    const error = t.throws(() => simulation.run({ steps: 1000, reportEvery: 100 })) as Error & { step: number }
    t.is(error.name, 'SimulationBlowUpError')
    t.true(error.step >= 1 && error.step <= 1000)
    t.is(simulation.step, error.step)
  }
  // Without constraints the explosion shows as huge forces.
  const unconstrained = Simulation.fromInputs(ala2Inputs('verlet.xml', {
    systemXml: fixtureText(ALA2, 'system.xml').replace(/<Constraints>[\s\S]*<\/Constraints>/, '<Constraints/>'),
    integratorXml: fixtureText(ALA2, 'verlet.xml').replace('stepSize=".001"', 'stepSize=".05"'),
  }))
  const error = t.throws(() => unconstrained.run({ steps: 1000, reportEvery: 1000 })) as Error & { step: number }
  t.is(error.name, 'SimulationBlowUpError')
  t.true(error.step >= 1)
})

test('a constraint tolerance that cannot be met is a ConstraintFailureError with the step', t => {
  const ala2 = loadDynamicsFixture(ALA2)
  const context = new Context(ala2.system, { ...ala2.integrator('verlet.xml'), constraintTolerance: 1e-17 }, ala2.state)
  const error = t.throws(() => context.stepIntegrator(10)) as Error & { step: number }
  t.is(error.name, 'ConstraintFailureError')
  t.is(error.step, 1)
  t.true(maxConstraintError(ala2.system, context.positionsNm) < 1e-12)
})

test('zero or negative step sizes are refused', t => {
  for (const stepSize of ['0', '-.001']) {
    const inputs = ala2Inputs('verlet.xml', { integratorXml: fixtureText(ALA2, 'verlet.xml').replace('stepSize=".001"', `stepSize="${stepSize}"`) })
    t.is(errorName(() => Simulation.fromInputs(inputs)), 'InvalidIntegratorError')
  }
  const ala2 = loadDynamicsFixture(ALA2)
  for (const stepSizePs of [0, -0.002, Number.NaN]) {
    t.is(errorName(() => new Context(ala2.system, { ...ala2.integrator('langevin.xml'), stepSizePs }, ala2.state)), 'InvalidIntegratorError')
  }
})

test('an integrator is required, and a checkpoint of another system is refused', t => {
  t.is(errorName(() => Simulation.fromInputs({ ...ala2Inputs('verlet.xml'), integratorXml: undefined })), 'InvalidIntegratorError')
  const water = Simulation.fromInputs({
    systemXml: fixtureText(WATER, 'system.xml'), integratorXml: fixtureText(WATER, 'integrator.xml'), stateXml: fixtureText(WATER, 'state.xml'),
  })
  const waterCheckpoint = encodeCheckpoint(water.checkpoint())
  t.is(errorName(() => Simulation.fromInputs(ala2Inputs('verlet.xml', { checkpoint: waterCheckpoint }))), 'CheckpointError')
  t.is(errorName(() => Simulation.fromInputs(ala2Inputs('verlet.xml', { checkpoint: waterCheckpoint.subarray(0, 100) }))), 'CheckpointError')
})

test('an aborted signal stops the run between blocks with its reason', t => {
  const simulation = Simulation.fromInputs(ala2Inputs('verlet.xml'))
  const controller = new AbortController()
  const reason = new Error('stop now')
  reason.name = 'AbortError'
  const error = t.throws(() => simulation.run({
    steps: 10_000,
    reportEvery: 50,
    signal: controller.signal,
    onFrame: frame => { if (frame.step === 150) controller.abort(reason) },
  }))
  t.is(error, reason)
  t.is(simulation.step, 150)
  t.is(errorName(() => simulation.run({ steps: 10, reportEvery: 5, signal: controller.signal })), 'AbortError')
  t.is(simulation.step, 150)
})

test('run refuses nonsensical step counts and report intervals', t => {
  const simulation = Simulation.fromInputs(ala2Inputs('verlet.xml'))
  t.throws(() => simulation.run({ steps: -1, reportEvery: 10 }), { instanceOf: RangeError })
  t.throws(() => simulation.run({ steps: 10, reportEvery: 0 }), { instanceOf: RangeError })
  t.throws(() => simulation.run({ steps: 1.5, reportEvery: 1 }), { instanceOf: RangeError })
})
