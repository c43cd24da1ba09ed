import test from 'ava'
import { Context } from '../../src/engine/context.ts'
import { fixtureJson, loadDynamicsFixture, mean, standardDeviation } from './helpers/dynamics-fixtures.ts'

interface ReferenceFrame {
  step: number
  timePs: number
  potentialEnergy: number
  kineticEnergy: number
  positions: number[][]
  velocities: number[][]
}

const ala2 = loadDynamicsFixture('ala2-vacuum-dynamics')
const water = loadDynamicsFixture('water-box-rigid')

test('Verlet follows OpenMM 7.7 Reference (ala2 vacuum, HBonds, CMMotionRemover, 1 fs) for 100 steps', t => {
  const reference = fixtureJson<{ frames: ReferenceFrame[] }>('ala2-vacuum-dynamics', 'reference-trajectory.json')
  const context = new Context(ala2.system, ala2.integrator('verlet.xml'), ala2.state)
  t.true(reference.frames.length >= 2)
  for (const frame of reference.frames) {
    context.stepIntegrator(frame.step - context.step)
    t.is(context.step, frame.step)
    t.true(Math.abs(context.timePs - frame.timePs) < 1e-12)
    let dx = 0
    let dv = 0
    for (let i = 0; i < ala2.system.particleCount; i++) {
      for (let k = 0; k < 3; k++) {
        dx = Math.max(dx, Math.abs(context.positionsNm[3 * i + k] - frame.positions[i][k]))
        dv = Math.max(dv, Math.abs(context.velocitiesNmPerPs[3 * i + k] - frame.velocities[i][k]))
      }
    }
    // Same algorithm in the same order of operations: agreement to rounding, which chaos amplifies slowly.
    t.true(dx < 1e-10, `step ${frame.step}: max position difference ${dx} nm`)
    t.true(dv < 1e-8, `step ${frame.step}: max velocity difference ${dv} nm/ps`)
    const { potentialEnergy } = context.computeForces()
    t.true(Math.abs(potentialEnergy - frame.potentialEnergy) < 1e-8 * Math.max(1, Math.abs(frame.potentialEnergy)))
    // OpenMM reports leapfrog kinetic energy half a step shifted with the forces, then velocity-constrained.
    t.true(Math.abs(context.kineticEnergy() - frame.kineticEnergy) < 1e-8 * frame.kineticEnergy)
  }
})

/**
 * Energy conservation. A good NVE integration keeps the total energy's
 * fluctuation far below the kinetic energy's (which is thermal: about
 * sqrt(dof/2) kT for the system); leapfrog Verlet at 1-2 fs with rigid bonds
 * to hydrogen typically gives a ratio of about 1e-2. The drift over the run
 * must stay below a fraction of kT (2.5 kJ/mol at 300 K).
 */
function energySeries (context: Context, samples: number, stepsPerSample: number): { total: number[], kinetic: number[] } {
  const total: number[] = []
  const kinetic: number[] = []
  for (let s = 0; s < samples; s++) {
    context.stepIntegrator(stepsPerSample)
    const potential = context.computeForces().potentialEnergy
    const ke = context.kineticEnergy()
    total.push(potential + ke)
    kinetic.push(ke)
  }
  return { total, kinetic }
}

function drift (series: number[]): number {
  const tenth = Math.max(1, Math.floor(series.length / 10))
  return mean(series.slice(-tenth)) - mean(series.slice(0, tenth))
}

const KT_300K = 2.494 // kJ/mol

test('Verlet conserves energy: ala2 vacuum with HBonds at 1 fs over 3000 steps', t => {
  const context = new Context(ala2.system, ala2.integrator('verlet.xml'), ala2.state)
  const { total, kinetic } = energySeries(context, 150, 20)
  const ratio = standardDeviation(total) / standardDeviation(kinetic)
  t.log(`sd(E)/sd(KE) = ${ratio.toExponential(2)}, drift ${drift(total).toExponential(2)} kJ/mol over 3 ps`)
  t.true(ratio < 0.03)
  t.true(Math.abs(drift(total)) < 0.1 * KT_300K)
})

test('Verlet conserves energy: rigid TIP3P box (SETTLE, reaction field) at 2 fs over 500 steps', t => {
  const context = new Context(water.system, water.integrator('integrator.xml'), water.state)
  const { total, kinetic } = energySeries(context, 50, 10)
  const ratio = standardDeviation(total) / standardDeviation(kinetic)
  t.log(`sd(E)/sd(KE) = ${ratio.toExponential(2)}, drift ${drift(total).toExponential(2)} kJ/mol over 1 ps`)
  t.true(ratio < 0.03)
  t.true(Math.abs(drift(total)) < 0.5 * KT_300K) // 651 atoms, truncated LJ at the cutoff: a little noisier
})
