import test from 'ava'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { readDcd } from '../../src/formats/dcd.ts'
import { decodeCheckpoint } from '../../src/engine/checkpoint.ts'
import { pythonHasModule, runPythonJson } from '../formats/debian-python.ts'
import { finished, fixture, isOneLineError, runBinary, startBinary } from './run-binary.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-cli-run-'))
test.after.always(() => { fs.rmSync(tmp, { recursive: true, force: true }) })

const hasMdtraj = pythonHasModule('mdtraj')
const ALA2 = 'ala2-vacuum-dynamics'
const WATER = 'water-box-rigid'

function ala2Args (integrator: string, steps: number, reportEvery: number, output: string): string[] {
  return ['run', '--system', fixture(ALA2, 'system.xml'), '--integrator', fixture(ALA2, integrator),
    '--pdb', fixture(ALA2, 'structure.pdb'), '--state', fixture(ALA2, 'state.xml'),
    '--steps', String(steps), '--report-every', String(reportEvery), '-o', output]
}

const PYTHON_MDTRAJ_LOAD = String.raw`
import sys, json
import mdtraj
d = json.load(sys.stdin)
t = mdtraj.load(d['dcd'], top=d['pdb'])
print(json.dumps({
  'n_frames': t.n_frames, 'n_atoms': t.n_atoms, 'xyz': t.xyz.astype(float).ravel().tolist(),
  'lengths': None if t.unitcell_lengths is None else t.unitcell_lengths.astype(float).ravel().tolist(),
}))
`
interface MdtrajLoad { n_frames: number, n_atoms: number, xyz: number[], lengths: number[] | null }

test('run with Verlet writes a DCD whose frames match OpenMM Reference positions at steps 10 and 100', async (t) => {
  const output = path.join(tmp, 'verlet.dcd')
  const result = await runBinary(ala2Args('verlet.xml', 100, 10, output))
  t.is(result.status, 0, result.stderr)
  t.regex(result.stdout, /Ran 100 steps \(0\.100 ps\) in [\d.]+ s: [\d.]+ ns\/day/)
  t.regex(result.stdout, /potential energy -?[\d.]+ kJ\/mol/)
  t.false(result.stderr.includes('█'), 'no progress bar when stderr is not a TTY')

  const trajectory = readDcd(fs.readFileSync(output))
  t.is(trajectory.frameCount, 10)
  t.is(trajectory.header.atomCount, 22)
  t.is(trajectory.header.firstStep, 10)
  t.is(trajectory.header.interval, 10)
  t.false(trajectory.header.hasUnitCell)
  t.true(Math.abs(trajectory.header.timeStepPs - 0.001) < 1e-9)

  const reference = JSON.parse(fs.readFileSync(fixture(ALA2, 'reference-trajectory.json'), 'utf8')) as { frames: Array<{ step: number, positions: number[][] }> }
  for (const frame of reference.frames) {
    const ours = trajectory.positionsAngstrom[frame.step / 10 - 1]
    let worst = 0
    frame.positions.forEach((row, atom) => {
      for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(ours[3 * atom + k] / 10 - row[k]))
    })
    t.true(worst < 2e-4, `step ${frame.step}: largest deviation from OpenMM ${worst} nm`)
  }

  if (!hasMdtraj) return t.pass('mdtraj part skipped: /usr/bin/python3 cannot import mdtraj')
  const loaded = runPythonJson<MdtrajLoad>(PYTHON_MDTRAJ_LOAD, { dcd: output, pdb: fixture(ALA2, 'structure.pdb') })
  t.is(loaded.n_frames, 10)
  t.is(loaded.n_atoms, 22)
  t.true(Math.abs(loaded.xyz[0] - trajectory.positionsAngstrom[0][0] / 10) < 1e-6)
})

test('a periodic run writes the unit cell, and mdtraj reads it', async (t) => {
  const output = path.join(tmp, 'water.dcd')
  const result = await runBinary(['run', '--system', fixture(WATER, 'system.xml'), '--integrator', fixture(WATER, 'integrator.xml'),
    '--pdb', fixture(WATER, 'structure.pdb'), '--state', fixture(WATER, 'state.xml'), '--steps', '6', '--report-every', '3', '-o', output])
  t.is(result.status, 0, result.stderr)
  const trajectory = readDcd(fs.readFileSync(output))
  t.is(trajectory.frameCount, 2)
  t.true(trajectory.header.hasUnitCell)
  const cell = trajectory.unitCells[1]
  if (cell === null) return t.fail('no unit cell')
  t.true(Math.abs(cell.aAngstrom - 19) < 0.5 && Math.abs(cell.alphaDeg - 90) < 1e-6, JSON.stringify(cell))
  // As OpenMM's DCDReporter: every water's centre lies in the first box.
  const positions = trajectory.positionsAngstrom[1]
  for (let water = 0; water < 217; water++) {
    for (let axis = 0; axis < 3; axis++) {
      const center = (positions[9 * water + axis] + positions[9 * water + 3 + axis] + positions[9 * water + 6 + axis]) / 3
      t.true(center >= -1e-3 && center < cell.aAngstrom + 1e-3, `water ${water} centre ${center} Å`)
    }
  }

  if (!hasMdtraj) return t.pass('mdtraj part skipped: /usr/bin/python3 cannot import mdtraj')
  const loaded = runPythonJson<MdtrajLoad>(PYTHON_MDTRAJ_LOAD, { dcd: output, pdb: fixture(WATER, 'structure.pdb') })
  t.is(loaded.n_frames, 2)
  t.is(loaded.n_atoms, 651)
  t.true(loaded.lengths !== null && Math.abs(loaded.lengths[0] - cell.aAngstrom / 10) < 1e-5)
})

test('checkpoint + resume continues the same trajectory as one uninterrupted run', async (t) => {
  const straight = path.join(tmp, 'straight.dcd')
  const straightResult = await runBinary([...ala2Args('langevin-middle.xml', 40, 10, straight), '--seed', '7', '--checkpoint', path.join(tmp, 'straight.chk')])
  t.is(straightResult.status, 0, straightResult.stderr)

  const split = path.join(tmp, 'split.dcd')
  const splitCheckpoint = path.join(tmp, 'split.chk')
  const first = await runBinary([...ala2Args('langevin-middle.xml', 20, 10, split), '--seed', '7', '--checkpoint', splitCheckpoint])
  t.is(first.status, 0, first.stderr)
  t.is(decodeCheckpoint(fs.readFileSync(splitCheckpoint)).step, 20)
  const stepTwentyCheckpoint = path.join(tmp, 'step20.chk')
  fs.copyFileSync(splitCheckpoint, stepTwentyCheckpoint)

  const second = await runBinary([...ala2Args('langevin-middle.xml', 40, 10, split), '--seed', '7', '--checkpoint', splitCheckpoint, '--resume', splitCheckpoint])
  t.is(second.status, 0, second.stderr)
  t.regex(second.stdout, /Ran 20 steps/)
  t.is(decodeCheckpoint(fs.readFileSync(splitCheckpoint)).step, 40)

  const expected = readDcd(fs.readFileSync(straight))
  const resumed = readDcd(fs.readFileSync(split))
  t.is(resumed.frameCount, 4)
  t.is(resumed.header.firstStep, 10)
  t.deepEqual(resumed.positionsAngstrom, expected.positionsAngstrom)
  t.deepEqual(fs.readFileSync(path.join(tmp, 'straight.chk')), fs.readFileSync(splitCheckpoint))

  // Resuming from the step-20 checkpoint drops the frames after step 20 and writes them again.
  const third = await runBinary([...ala2Args('langevin-middle.xml', 40, 10, split), '--seed', '7', '--resume', stepTwentyCheckpoint])
  t.is(third.status, 0, third.stderr)
  t.deepEqual(readDcd(fs.readFileSync(split)).positionsAngstrom, expected.positionsAngstrom)

  // Resuming a finished run with the same --steps runs nothing, and says how to extend it; the DCD is untouched.
  const before = fs.readFileSync(split)
  const again = await runBinary([...ala2Args('langevin-middle.xml', 40, 10, split), '--seed', '7', '--resume', splitCheckpoint])
  t.is(again.status, 0, again.stderr)
  t.is(again.stdout, '')
  t.regex(again.stderr, /Nothing to run: the checkpoint is at step 40, the end of this run.*--steps larger than 40/)
  t.deepEqual(fs.readFileSync(split), before)
  // a smaller --steps than the checkpoint's step says so, and a new output file is not created
  const elsewhere = path.join(tmp, 'never-written.dcd')
  const past = await runBinary([...ala2Args('langevin-middle.xml', 30, 10, elsewhere), '--seed', '7', '--resume', splitCheckpoint])
  t.is(past.status, 0, past.stderr)
  t.regex(past.stderr, /past this run's end step 30/)
  t.false(fs.existsSync(elsewhere))
})

test('SIGINT writes the checkpoint, leaves a valid DCD and exits with 130; the run resumes from it', async (t) => {
  const output = path.join(tmp, 'interrupted.dcd')
  const checkpoint = path.join(tmp, 'interrupted.chk')
  const child = startBinary([...ala2Args('langevin-middle.xml', 10_000_000, 10, output), '--checkpoint', checkpoint])
  const done = finished(child)
  // Wait until a few frames are on disk, then interrupt.
  for (let i = 0; i < 600; i++) {
    await sleep(100)
    if (fs.existsSync(output) && fs.statSync(output).size > 276 + 3 * 300) break
  }
  child.kill('SIGINT')
  const result = await done
  t.is(result.status, 130, result.stderr)
  t.regex(result.stderr, /--resume/)
  t.false(/\n\s+at /.test(result.stderr))

  const saved = decodeCheckpoint(fs.readFileSync(checkpoint))
  t.true(saved.step > 0)
  const trajectory = readDcd(fs.readFileSync(output))
  t.true(trajectory.frameCount >= 1)
  t.is(trajectory.frameCount, Math.floor(saved.step / 10))

  const resumed = await runBinary([...ala2Args('langevin-middle.xml', saved.step + 20, 10, output), '--checkpoint', checkpoint, '--resume', checkpoint])
  t.is(resumed.status, 0, resumed.stderr)
  t.is(readDcd(fs.readFileSync(output)).frameCount, Math.floor((saved.step + 20) / 10))
})

test('bad inputs give one line and a non-zero exit', async (t) => {
  const output = path.join(tmp, 'bad.dcd')
  const missing = await runBinary(['run', '--system', fixture(ALA2, 'system.xml'), '--integrator', path.join(tmp, 'nope.xml'),
    '--pdb', fixture(ALA2, 'structure.pdb'), '--steps', '10', '--report-every', '5', '-o', output])
  t.is(missing.status, 1)
  t.true(isOneLineError(missing.stderr, 'InputFileError'), missing.stderr)

  const badSteps = await runBinary([...ala2Args('verlet.xml', 10, 5, output).slice(0, -6), '--steps', 'ten', '--report-every', '5', '-o', output])
  t.is(badSteps.status, 2)
  t.true(isOneLineError(badSteps.stderr, 'UsageError'), badSteps.stderr)

  const mismatch = await runBinary(['run', '--system', fixture(ALA2, 'system.xml'), '--integrator', fixture(ALA2, 'verlet.xml'),
    '--pdb', fixture(WATER, 'structure.pdb'), '--steps', '10', '--report-every', '5', '-o', output])
  t.is(mismatch.status, 1)
  t.true(isOneLineError(mismatch.stderr, 'ParticleCountMismatchError'), mismatch.stderr)

  const noFolder = await runBinary([...ala2Args('verlet.xml', 10, 5, path.join(tmp, 'no-such-folder', 'out.dcd'))])
  t.is(noFolder.status, 1)
  t.true(isOneLineError(noFolder.stderr, 'OutputFileError'), noFolder.stderr)
})
