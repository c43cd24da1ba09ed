/**
 * `mdswarm-node run --engine openmm`: the real binary on Debian's OpenMM,
 * continued by the builtin engine from its checkpoint (and the reverse).
 */
import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { readDcd } from '../../src/formats/dcd.ts'
import { decodeCheckpoint } from '../../src/engine/checkpoint.ts'
import { pythonHasModule } from '../formats/debian-python.ts'
import { fixture, isOneLineError, runBinary } from '../node/run-binary.ts'

const HAVE_OPENMM = pythonHasModule('openmm')
const live = HAVE_OPENMM ? test.serial : test.skip
if (!HAVE_OPENMM) console.log('skipping mdswarm-node run --engine openmm tests: /usr/bin/python3 cannot import openmm')

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-cli-run-openmm-'))
test.after.always(() => { fs.rmSync(tmp, { recursive: true, force: true }) })

const ALA2 = 'ala2-vacuum-dynamics'
function ala2Args (steps: number, output: string, checkpoint: string): string[] {
  return ['run', '--system', fixture(ALA2, 'system.xml'), '--integrator', fixture(ALA2, 'verlet.xml'),
    '--state', fixture(ALA2, 'state.xml'), '--steps', String(steps), '--report-every', '10', '-o', output, '--checkpoint', checkpoint]
}

live('run --engine openmm writes the DCD and a checkpoint the builtin engine resumes, and back', async t => {
  const dcd = path.join(tmp, 'hybrid.dcd')
  const chk = path.join(tmp, 'hybrid.chk')
  const first = await runBinary([...ala2Args(40, dcd, chk), '--engine', 'openmm', '--platform', 'Reference'])
  t.is(first.status, 0, first.stderr)
  t.regex(first.stdout, /Ran 40 steps \(0\.040 ps\) on OpenMM 7\.[\d.]+ \(Reference\) in [\d.]+ s: [\d.]+ ns\/day/)
  t.is(readDcd(fs.readFileSync(dcd)).frameCount, 4)
  t.is(decodeCheckpoint(fs.readFileSync(chk)).step, 40)

  // The builtin engine continues the same run to step 80, appending to the same DCD ...
  const second = await runBinary([...ala2Args(80, dcd, chk), '--resume', chk])
  t.is(second.status, 0, second.stderr)
  t.is(decodeCheckpoint(fs.readFileSync(chk)).step, 80)
  // ... and OpenMM (CPU platform, one thread) takes it to step 120.
  const third = await runBinary([...ala2Args(120, dcd, chk), '--resume', chk, '--engine', 'openmm', '--platform', 'CPU', '--property', 'Threads=1'])
  t.is(third.status, 0, third.stderr)
  const trajectory = readDcd(fs.readFileSync(dcd))
  t.is(trajectory.frameCount, 12)
  t.is(decodeCheckpoint(fs.readFileSync(chk)).step, 120)
  // Consecutive frames stay close (no jump at the hand-overs): atoms move < 0.05 nm in 10 fs.
  for (let f = 1; f < trajectory.frameCount; f++) {
    let worst = 0
    for (let k = 0; k < trajectory.positionsAngstrom[f].length; k++) worst = Math.max(worst, Math.abs(trajectory.positionsAngstrom[f][k] - trajectory.positionsAngstrom[f - 1][k]))
    t.true(worst < 0.5, `frame ${f} moved ${worst} Å`)
  }
})

live('an OpenMM refusal is one clear line naming OpenmmError', async t => {
  const result = await runBinary([...ala2Args(10, path.join(tmp, 'x.dcd'), path.join(tmp, 'x.chk')), '--engine', 'openmm', '--platform', 'CUDA'])
  t.not(result.status, 0)
  t.true(isOneLineError(result.stderr, 'OpenmmError'), result.stderr)
})

test('OpenMM flags without --engine openmm are a usage error', async t => {
  const result = await runBinary([...ala2Args(10, path.join(tmp, 'y.dcd'), path.join(tmp, 'y.chk')), '--platform', 'CPU'])
  t.not(result.status, 0)
  t.true(isOneLineError(result.stderr, 'UsageError'), result.stderr)
})
