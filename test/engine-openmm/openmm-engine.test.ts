/**
 * The openmm engine against Debian's OpenMM 7.7 (Reference and CPU
 * platforms): frames agree with a direct OpenMM run of the same inputs,
 * and a trajectory continues across engines through a portable checkpoint.
 */
import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { encodeCheckpoint } from '../../src/engine/checkpoint.ts'
import type { Frame } from '../../src/engine/frame.ts'
import { Simulation } from '../../src/engine/simulation.ts'
import { OpenmmEngine } from '../../src/engine-openmm/index.ts'
import { DEBIAN_PYTHON, pythonHasModule } from '../formats/debian-python.ts'
import { fixtureText, FIXTURES_DIR } from '../engine/helpers/dynamics-fixtures.ts'
import { REPO_ROOT } from '../node/run-binary.ts'

const HAVE_OPENMM = pythonHasModule('openmm')
const live = HAVE_OPENMM ? test.serial : test.skip
if (!HAVE_OPENMM) console.log(`skipping openmm engine tests: ${DEBIAN_PYTHON} cannot import openmm (apt-get install python3-simtk libopenmm-plugins)`)

const ALA2 = 'ala2-vacuum-dynamics'
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-openmm-engine-'))
test.after.always(() => { fs.rmSync(tmp, { recursive: true, force: true }) })

interface DirectFrame { step: number, timePs: number, positions: number[][], potentialEnergy: number, kineticEnergy: number }
interface DirectRun { properties: Record<string, string>, frames: DirectFrame[] }

/**
 * CPU platform properties of both runs. One thread: with several, OpenMM 7.7's CPU platform is not
 * bit-reproducible on a busy machine (DeterministicForces or not; ~1e-10 nm apart after 60 steps).
 */
const CPU_THREADS = 1
const CPU_PROPERTIES = { Threads: String(CPU_THREADS), DeterministicForces: 'true' }

/** A direct OpenMM run (scripts/openmm/run.py) of the same inputs, with the same platform properties. */
function directOpenmm (integratorFile: string, platform: string, steps: number, reportEvery: number, seed: number): DirectRun {
  const out = path.join(tmp, `direct-${integratorFile}-${platform}.json`)
  const dir = path.join(FIXTURES_DIR, ALA2)
  const result = spawnSync(DEBIAN_PYTHON, [path.join(REPO_ROOT, 'scripts', 'openmm', 'run.py'), '--system', path.join(dir, 'system.xml'),
    '--integrator', path.join(dir, integratorFile), '--state', path.join(dir, 'state.xml'), '--steps', String(steps), '--report-every', String(reportEvery),
    '--platform', platform, ...(platform === 'CPU' ? ['--threads', String(CPU_THREADS)] : []), '--seed', String(seed), '--out', out], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`run.py failed: ${result.stderr}`)
  return JSON.parse(fs.readFileSync(out, 'utf8')) as DirectRun
}

function maxPositionDifferenceNm (a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]))
  return worst
}

for (const [platform, integratorFile] of [['Reference', 'langevin-middle.xml'], ['CPU', 'verlet.xml']] as const) {
  live(`frames agree with a direct OpenMM run (${platform}, ${integratorFile})`, async t => {
    const steps = 60
    const reportEvery = 20
    const seed = 5
    const directRun = directOpenmm(integratorFile, platform, steps, reportEvery, seed)
    const direct = directRun.frames
    const engine = await OpenmmEngine.start({
      systemXml: fixtureText(ALA2, 'system.xml'),
      integratorXml: fixtureText(ALA2, integratorFile),
      stateXml: fixtureText(ALA2, 'state.xml'),
      seed,
    }, { platform, properties: platform === 'CPU' ? CPU_PROPERTIES : {} })
    try {
      t.is(engine.platform, platform)
      t.deepEqual(engine.info.properties, directRun.properties, 'both runs use the same platform properties')
      t.is(engine.info.openmmVersion.split('.')[0], '7')
      const frames: Frame[] = []
      await engine.run({ steps, reportEvery, onFrame: f => frames.push(f) })
      t.deepEqual(frames.map(f => f.step), direct.map(f => f.step))
      for (let i = 0; i < frames.length; i++) {
        t.true(Math.abs(frames[i].timePs - direct[i].timePs) < 1e-9)
        t.true(Math.abs(frames[i].potentialEnergy - direct[i].potentialEnergy) < 1e-6 * Math.max(1, Math.abs(direct[i].potentialEnergy)), `potential at step ${frames[i].step}`)
        t.true(Math.abs(frames[i].kineticEnergy - direct[i].kineticEnergy) < 1e-6 * Math.max(1, direct[i].kineticEnergy), `kinetic at step ${frames[i].step}`)
        // Positions travel as float32: agreement to float32 rounding.
        t.true(maxPositionDifferenceNm(frames[i].positionsNm, direct[i].positions.flat()) < 1e-5, `positions at step ${frames[i].step}`)
        t.true(frames[i].temperatureK > 0)
      }
      const checkpoint = await engine.checkpoint()
      t.is(checkpoint.step, steps)
      t.is(checkpoint.particleCount, 22)
      const checkpointDifferenceNm = maxPositionDifferenceNm(checkpoint.positionsNm, direct[direct.length - 1].positions.flat())
      t.true(checkpointDifferenceNm < 1e-12, `checkpoint positions differ from the direct run by ${checkpointDifferenceNm} nm`)
    } finally {
      await engine.close()
    }
  })
}

live('a trajectory continues across engines through a portable checkpoint: builtin -> openmm -> builtin', async t => {
  const inputs = { systemXml: fixtureText(ALA2, 'system.xml'), integratorXml: fixtureText(ALA2, 'verlet.xml'), stateXml: fixtureText(ALA2, 'state.xml') }
  // Reference trajectory: the builtin engine alone for 3 x 30 steps.
  const alone = Simulation.fromInputs(inputs)
  const aloneFrames: Frame[] = []
  alone.run({ steps: 90, reportEvery: 30, onFrame: f => aloneFrames.push(f) })

  // Segment 1 on builtin, segment 2 on OpenMM (Reference), segment 3 on builtin again.
  const first = Simulation.fromInputs(inputs)
  first.run({ steps: 30, reportEvery: 30 })
  const engine = await OpenmmEngine.start({ ...inputs, checkpoint: encodeCheckpoint(first.checkpoint()) }, { platform: 'Reference' })
  let handOver: Uint8Array
  const middleFrames: Frame[] = []
  try {
    t.is(engine.step, 30)
    t.true(Math.abs(engine.timePs - 0.03) < 1e-12)
    await engine.run({ steps: 30, reportEvery: 30, onFrame: f => middleFrames.push(f) })
    handOver = encodeCheckpoint(await engine.checkpoint())
  } finally {
    await engine.close()
  }
  t.deepEqual(middleFrames.map(f => f.step), [60])
  const third = Simulation.fromInputs({ ...inputs, checkpoint: handOver })
  t.is(third.step, 60)
  const lastFrames: Frame[] = []
  third.run({ steps: 30, reportEvery: 30, onFrame: f => lastFrames.push(f) })
  t.is(third.step, 90)

  // Both engines follow OpenMM's Verlet: the hybrid trajectory stays on the builtin-only one.
  t.true(maxPositionDifferenceNm(middleFrames[0].positionsNm, aloneFrames[1].positionsNm) < 1e-4)
  t.true(maxPositionDifferenceNm(lastFrames[0].positionsNm, aloneFrames[2].positionsNm) < 1e-4)
  t.true(Math.abs(lastFrames[0].potentialEnergy - aloneFrames[2].potentialEnergy) < 0.05)
})
