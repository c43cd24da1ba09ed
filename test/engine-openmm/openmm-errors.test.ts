/**
 * Failures of the openmm engine become typed errors: OpenMM's own message
 * (OpenmmError), a helper that dies mid-run (OpenmmHelperDiedError with its
 * exit status or signal, never a hang), no OpenMM (OpenmmNotAvailableError),
 * a checkpoint of another system (CheckpointError); an aborted run stops
 * cleanly and leaves the engine usable.
 */
import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { encodeCheckpoint } from '../../src/engine/checkpoint.ts'
import { OpenmmEngine, type OpenmmHelperDiedError, type OpenmmError } from '../../src/engine-openmm/index.ts'
import { DEBIAN_PYTHON, pythonHasModule } from '../formats/debian-python.ts'
import { fixtureText } from '../engine/helpers/dynamics-fixtures.ts'

const HAVE_OPENMM = pythonHasModule('openmm')
const live = HAVE_OPENMM ? test.serial : test.skip
if (!HAVE_OPENMM) console.log(`skipping live openmm error tests: ${DEBIAN_PYTHON} cannot import openmm`)

const ALA2 = 'ala2-vacuum-dynamics'
const inputs = (): { systemXml: string, integratorXml: string, stateXml: string } => ({
  systemXml: fixtureText(ALA2, 'system.xml'),
  integratorXml: fixtureText(ALA2, 'verlet.xml'),
  stateXml: fixtureText(ALA2, 'state.xml'),
})

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-openmm-errors-'))
test.after.always(() => { fs.rmSync(tmp, { recursive: true, force: true }) })

/** An executable stand-in for an interpreter: passes the import check (`-c`) and otherwise runs `body`. */
function fakeInterpreter (name: string, body: string): string {
  const file = path.join(tmp, name)
  fs.writeFileSync(file, `#!/bin/sh\nif [ "$1" = "-c" ]; then exit 0; fi\n${body}\n`, { mode: 0o755 })
  return file
}

live('an unknown platform gives OpenmmError with OpenMM\'s own message', async t => {
  const error = await t.throwsAsync<OpenmmError>(OpenmmEngine.start(inputs(), { platform: 'CUDA' }))
  t.is(error?.name, 'OpenmmError')
  t.true((error?.openmmMessage ?? '').length > 0)
  t.true(error?.message.includes(error.openmmMessage))
})

live('a bad platform property gives OpenmmError', async t => {
  const error = await t.throwsAsync(OpenmmEngine.start(inputs(), { platform: 'CPU', properties: { NoSuchProperty: '1' } }))
  t.is(error?.name, 'OpenmmError')
})

live('a checkpoint of another system gives CheckpointError', async t => {
  const other = encodeCheckpoint({ particleCount: 1, positionsNm: new Float64Array(3), velocitiesNmPerPs: new Float64Array(3), box: null, step: 0, timePs: 0, rngState: null })
  const error = await t.throwsAsync(OpenmmEngine.start({ ...inputs(), checkpoint: other }, { platform: 'Reference' }))
  t.is(error?.name, 'CheckpointError')
})

live('a helper killed mid-run fails the run with OpenmmHelperDiedError (signal), never hangs', async t => {
  const engine = await OpenmmEngine.start(inputs(), { platform: 'Reference' })
  let killed = false
  const error = await t.throwsAsync<OpenmmHelperDiedError>(engine.run({
    steps: 10_000_000,
    reportEvery: 10_000_000,
    onProgress: () => {
      if (!killed && engine.pid !== undefined) process.kill(engine.pid, 'SIGKILL')
      killed = true
    },
  }))
  t.is(error?.name, 'OpenmmHelperDiedError')
  t.is(error?.signal, 'SIGKILL')
  const later = await t.throwsAsync(engine.checkpoint())
  t.is(later?.name, 'OpenmmHelperDiedError')
  await engine.close()
})

test('a helper that exits gives OpenmmHelperDiedError with its exit status and last output', async t => {
  const python = fakeInterpreter('crashing-python', 'echo "Segmentation fault in libOpenMMCUDA" >&2\nexit 7')
  const error = await t.throwsAsync<OpenmmHelperDiedError>(OpenmmEngine.start(inputs(), { python }))
  t.is(error?.name, 'OpenmmHelperDiedError')
  t.is(error?.exitCode, 7)
  t.true(error?.stderrTail.includes('Segmentation fault'))
})

test('an interpreter without OpenMM gives OpenmmNotAvailableError', async t => {
  const python = path.join(tmp, 'python-without-openmm')
  fs.writeFileSync(python, '#!/bin/sh\nexit 1\n', { mode: 0o755 })
  const error = await t.throwsAsync(OpenmmEngine.start(inputs(), { python }))
  t.is(error?.name, 'OpenmmNotAvailableError')
})

live('an aborted run stops between blocks, throws the reason and leaves the engine usable', async t => {
  const engine = await OpenmmEngine.start(inputs(), { platform: 'Reference' })
  try {
    const controller = new AbortController()
    const error = await t.throwsAsync(engine.run({
      steps: 10_000_000,
      reportEvery: 10_000_000,
      signal: controller.signal,
      onProgress: () => { controller.abort(new Error('stop please')) },
    }))
    t.is(error?.message, 'stop please')
    t.true(engine.step > 0 && engine.step < 10_000_000)
    const checkpoint = await engine.checkpoint()
    t.is(checkpoint.step, engine.step)
    const frame = await engine.frame()
    t.is(frame.step, engine.step)
  } finally {
    await engine.close()
  }
})
