import test from 'ava'
import { Context } from '../../src/engine/context.ts'
import { BOLTZMANN_KJ_PER_MOL_K } from '../../src/engine/kinetic.ts'
import { pythonHasModule, runPythonJson } from '../formats/debian-python.ts'
import { FIXTURES_DIR, loadDynamicsFixture, mean, standardDeviation } from './helpers/dynamics-fixtures.ts'

const ala2 = loadDynamicsFixture('ala2-vacuum-dynamics')

/**
 * Thermostat check on ala2 in vacuum (51 degrees of freedom) at 300 K,
 * friction 1/ps, 2 fs (the fixture's integrator XML), a fixed seed.
 *
 * The instantaneous kinetic temperature of a canonical ensemble fluctuates
 * with standard deviation T sqrt(2/dof) (59 K here). Consecutive samples are
 * correlated, so the standard error of the mean temperature is estimated by
 * block averaging (20 blocks of 2 ps, each much longer than the ~0.5 ps
 * kinetic-energy relaxation time 1/(2 gamma)), and the mean must lie within
 * 3 standard errors (+1 K for the finite time step) of the bath temperature;
 * the standard error itself must be the few kelvin (< 10 K) that 40 ps of
 * sampling gives.
 */
for (const file of ['langevin.xml', 'langevin-middle.xml']) {
  test(`${file === 'langevin.xml' ? 'LangevinIntegrator' : 'LangevinMiddleIntegrator'} holds 300 K on average (ala2 vacuum)`, t => {
    const integrator = ala2.integrator(file)
    if (integrator.type === 'VerletIntegrator') throw new Error('expected a Langevin integrator')
    const context = new Context(ala2.system, integrator, ala2.state, { seed: 20240607 })
    const dof = context.degreesOfFreedom()
    t.is(dof, 3 * 22 - 12 - 3)
    context.stepIntegrator(500) // 1 ps equilibration
    const samples: number[] = []
    for (let s = 0; s < 2000; s++) {
      context.stepIntegrator(10)
      samples.push(context.temperatureK())
    }
    const blocks = 20
    const blockSize = samples.length / blocks
    const blockMeans = Array.from({ length: blocks }, (_, b) => mean(samples.slice(b * blockSize, (b + 1) * blockSize)))
    const standardError = standardDeviation(blockMeans) / Math.sqrt(blocks)
    const meanT = mean(samples)
    const expectedSpread = integrator.temperatureK * Math.sqrt(2 / dof)
    t.log(`mean T ${meanT.toFixed(1)} K +- ${standardError.toFixed(1)} (block SE); sd ${standardDeviation(samples).toFixed(1)} K, canonical ${expectedSpread.toFixed(1)} K`)
    t.true(standardError < 10, `standard error ${standardError}`)
    t.true(Math.abs(meanT - integrator.temperatureK) < 3 * standardError + 1, `mean ${meanT} K`)
    // The spread of the instantaneous temperature is the canonical one (within 25 %).
    t.true(Math.abs(standardDeviation(samples) / expectedSpread - 1) < 0.25)
  })
}

test('Langevin friction pulls a cold start to the bath temperature (LangevinMiddle, zero velocities)', t => {
  const integrator = ala2.integrator('langevin-middle.xml')
  const context = new Context(ala2.system, integrator, { ...ala2.state, velocitiesNmPerPs: null }, { seed: 1 })
  t.is(context.temperatureK(), 0)
  context.stepIntegrator(2000) // 4 ps = 4 friction times
  const samples: number[] = []
  for (let s = 0; s < 500; s++) {
    context.stepIntegrator(10)
    samples.push(context.temperatureK())
  }
  // 10 ps of samples: standard error ~ 59 K / sqrt(10) ~ 19 K at worst; 4 sigma band.
  t.true(Math.abs(mean(samples) - 300) < 75, `mean ${mean(samples)}`)
})

test('kinetic energy at the start matches OpenMM 7.7 getState for each integrator (live OpenMM)', t => {
  if (!pythonHasModule('openmm')) {
    t.log('skipped: /usr/bin/python3 cannot import openmm')
    t.pass()
    return
  }
  const code = `
import json, sys, openmm as mm
d = ${JSON.stringify(FIXTURES_DIR + '/ala2-vacuum-dynamics')}
out = {}
for name in ['verlet.xml', 'langevin.xml', 'langevin-middle.xml']:
    system = mm.XmlSerializer.deserialize(open(d + '/system.xml').read())
    integrator = mm.XmlSerializer.deserialize(open(d + '/' + name).read())
    context = mm.Context(system, integrator, mm.Platform.getPlatformByName('Reference'))
    context.setState(mm.XmlSerializer.deserialize(open(d + '/state.xml').read()))
    out[name] = context.getState(getEnergy=True).getKineticEnergy()._value
print(json.dumps(out))
`
  const expected = runPythonJson<Record<string, number>>(code)
  for (const [file, ke] of Object.entries(expected)) {
    const context = new Context(ala2.system, ala2.integrator(file), ala2.state, { seed: 1 })
    t.true(Math.abs(context.kineticEnergy() - ke) < 1e-9 * ke, `${file}: ${context.kineticEnergy()} vs OpenMM ${ke}`)
  }
  // Sanity of the unit: R in kJ/mol/K
  t.true(Math.abs(BOLTZMANN_KJ_PER_MOL_K - 0.00831446261815324) < 1e-15)
})
