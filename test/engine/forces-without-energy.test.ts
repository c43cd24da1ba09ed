/**
 * Plain integration steps ask the kernels for forces only (ForceKernel
 * `withEnergy` false) and the reaction-field pair loop then skips its
 * energies. The forces must be the same bits either way, on one and two
 * threads, and the energies a report shows must still be the full ones.
 */
import test from 'ava'
import { ForceEvaluator } from '../../src/engine/force-evaluator.ts'
import type { Frame } from '../../src/engine/frame.ts'
import { NonbondedKernel } from '../../src/engine/kernels/nonbonded.ts'
import { Simulation } from '../../src/engine/simulation.ts'
import { fixtureText } from './helpers/dynamics-fixtures.ts'
import { box, nonbondedForce, randomLiquid } from './helpers/force-systems.ts'

test('reaction field: forces without energies are the same bits as with them, on one and two threads', t => {
  const cell = box(2.6, 2.5, 2.3, 1.2, -1.25, 1.1)
  const n = 1200
  const liquid = randomLiquid(n, 0, 17, 0.12, cell)
  const force = nonbondedForce(liquid.charge, liquid.sigma, liquid.epsilon, {
    method: 'CutoffPeriodic', cutoffNm: 0.8, switchingDistanceNm: 0.7, dispersionCorrection: true,
  })
  for (const threads of [1, 2] as const) {
    const kernel = new NonbondedKernel(force, n, { threads })
    try {
      const withEnergy = new Float64Array(3 * n)
      const energies = new Float64Array(32)
      kernel.compute(liquid.positions, cell, withEnergy, energies, -1, true)
      const forcesOnly = new Float64Array(3 * n)
      kernel.compute(liquid.positions, cell, forcesOnly, new Float64Array(32), -1, false)
      t.deepEqual(forcesOnly, withEnergy, `${threads} thread(s)`)
      // and energies come back when asked for again
      const again = new Float64Array(32)
      kernel.compute(liquid.positions, cell, new Float64Array(3 * n), again, -1)
      t.is(again[0], energies[0])
    } finally {
      kernel.close()
    }
  }
})

test('ForceEvaluator without energies returns NaN and the same forces', t => {
  const simulation = Simulation.fromInputs({
    systemXml: fixtureText('ala2-tip3p-rf-cubic', 'system.xml'),
    integratorXml: fixtureText('ala2-tip3p-rf-cubic', 'integrator.xml'),
    stateXml: fixtureText('ala2-tip3p-rf-cubic', 'state.xml'),
    threads: 1,
  })
  const evaluator = new ForceEvaluator(simulation.system, { threads: 1 })
  try {
    const positions = Float64Array.from(simulation.context.positionsNm)
    const box = simulation.context.box
    const full = new Float64Array(positions.length)
    const energy = evaluator.evaluate(positions, box, full, new Float64Array(32))
    t.true(Number.isFinite(energy))
    const only = new Float64Array(positions.length)
    t.true(Number.isNaN(evaluator.evaluate(positions, box, only, new Float64Array(32), -1, false)))
    t.deepEqual(only, full)
  } finally {
    evaluator.close()
    simulation.close()
  }
})

test('reported energies are full energies although plain steps skip them', t => {
  const inputs = {
    systemXml: fixtureText('ala2-tip3p-rf-cubic', 'system.xml'),
    integratorXml: fixtureText('ala2-tip3p-rf-cubic', 'integrator.xml'),
    stateXml: fixtureText('ala2-tip3p-rf-cubic', 'state.xml'),
    seed: 11,
    threads: 1 as const,
  }
  const simulation = Simulation.fromInputs(inputs)
  const evaluator = new ForceEvaluator(simulation.system, { threads: 1 })
  try {
    const frames: Frame[] = []
    simulation.run({ steps: 30, reportEvery: 10, onFrame: f => frames.push(f) })
    t.is(frames.length, 3)
    // the last frame is at the simulation's current positions: a fresh evaluator's energy there
    const positions = Float64Array.from(simulation.context.positionsNm)
    const expected = evaluator.evaluate(positions, simulation.context.box, new Float64Array(positions.length), new Float64Array(32))
    const reported = frames[2].potentialEnergy
    t.true(Math.abs(reported - expected) < 1e-9 * Math.abs(expected), `${reported} vs ${expected}`)
  } finally {
    evaluator.close()
    simulation.close()
  }
})
