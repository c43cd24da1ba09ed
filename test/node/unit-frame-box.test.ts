/**
 * Frames that the node's unit runner hands over (and so the swarm's chunks,
 * and the DCD/XTC/PDB that `mdswarm fetch` writes from them) carry a box only
 * for a System with periodic boundary conditions. A vacuum System still has
 * default box vectors (OpenMM always writes them; ala2's are 2 nm): they must
 * not turn into a unit cell that analysis tools would minimum-image. Both
 * engines, builtin and openmm.
 */
import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runUnit, type FrameBatch, type UnitWorkInput } from '../../node/runner/unit-runner.ts'
import { parseSystemXml } from '../../src/engine/xml/system-xml.ts'
import { usesPeriodicBoundaryConditions } from '../../src/engine/system.ts'
import { HelperPool } from '../../src/engine-openmm/helper-pool.ts'
import { chunkFrames, decodeFrames, encodeFrames } from '../../src/trajectory/index.ts'
import { openTrajectoryWriter } from '../../src/formats/trajectory-files.ts'
import { DEBIAN_PYTHON, pythonHasModule, runPythonJson } from '../formats/debian-python.ts'
import { REPO_ROOT } from './run-binary.ts'

const HAVE_OPENMM = pythonHasModule('openmm')
const HAVE_MDTRAJ = pythonHasModule('mdtraj')
if (!HAVE_OPENMM) console.log('skipping the openmm engine case: /usr/bin/python3 cannot import openmm')
if (!HAVE_MDTRAJ) console.log('skipping the mdtraj check: /usr/bin/python3 cannot import mdtraj')

function read (dir: string, name: string): string {
  return fs.readFileSync(path.join(dir, name), 'utf8')
}

const vacuumDir = path.join(REPO_ROOT, 'examples', 'ala2')
const vacuum = { systemXml: read(vacuumDir, 'system.xml'), integratorXml: read(vacuumDir, 'integrator.xml'), pdb: read(vacuumDir, 'ala2.pdb'), stateXml: read(vacuumDir, 'state.xml') }
const periodicDir = path.join(REPO_ROOT, 'test', 'fixtures', 'ala2-tip3p-rf-cubic')
const periodic = { systemXml: read(periodicDir, 'system.xml'), integratorXml: read(periodicDir, 'integrator.xml'), pdb: read(periodicDir, 'structure.pdb'), stateXml: read(periodicDir, 'state.xml') }

function unit (inputs: typeof vacuum, overrides: Partial<UnitWorkInput> = {}): UnitWorkInput {
  return { ...inputs, seed: 5, endStep: 6, reportEvery: 2, maxFramesPerBatch: 2, maxBatchMs: 60_000, ...overrides }
}

async function framesOf (input: UnitWorkInput, openmmPool?: HelperPool): Promise<FrameBatch['frames']> {
  const batches: FrameBatch[] = []
  const outcome = await runUnit(input, { onBatch: b => { batches.push(b) }, ...(openmmPool !== undefined ? { openmmPool } : {}) })
  if (outcome.status === 'failed') throw new Error(`${outcome.errorName}: ${outcome.reason}`)
  return batches.flatMap(b => b.frames)
}

test('the vacuum System has default box vectors (the premise of this test)', t => {
  const system = parseSystemXml(vacuum.systemXml)
  t.false(usesPeriodicBoundaryConditions(system))
  t.not(system.defaultBox, null)
  t.true(usesPeriodicBoundaryConditions(parseSystemXml(periodic.systemXml)))
})

test('builtin engine: frames of a vacuum unit carry no box; the chunk and a DCD written from them have no unit cell', async t => {
  const frames = await framesOf(unit(vacuum))
  t.is(frames.length, 3)
  for (const frame of frames) t.is(frame.box, null)
  // The chunk the node uploads, decoded as the coordinator and fetch do.
  const chunk = decodeFrames(encodeFrames(frames, { precisionNm: 0.001 }))
  t.is(chunk.boxes, null)
  const decoded = chunkFrames(chunk)

  if (!HAVE_MDTRAJ) return
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-unit-frame-box-'))
  t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
  const dcd = path.join(dir, 'vacuum.dcd')
  const writer = openTrajectoryWriter(dcd, { atomCount: 22, stepSizePs: 0.002 })
  for (const frame of decoded) writer.writeFrame(frame)
  writer.close()
  const cell = runPythonJson<{ unitcell: null | number[] }>(
    'import json, sys, mdtraj; d = json.load(sys.stdin); tr = mdtraj.load_dcd(d["dcd"], top=d["pdb"]); ' +
    'print(json.dumps({"unitcell": None if tr.unitcell_vectors is None else tr.unitcell_lengths[0].tolist()}))',
    { dcd, pdb: path.join(vacuumDir, 'ala2.pdb') })
  t.is(cell.unitcell, null, 'mdtraj sees no unit cell')
})

test('builtin engine: frames of a periodic unit keep their box', async t => {
  const frames = await framesOf(unit(periodic, { endStep: 2, reportEvery: 1 }))
  t.is(frames.length, 2)
  for (const frame of frames) {
    t.not(frame.box, null)
    t.true(frame.box![0] > 1 && frame.box![4] > 1 && frame.box![8] > 1)
  }
  t.not(decodeFrames(encodeFrames(frames, { precisionNm: 0.001 })).boxes, null)
})

const live = HAVE_OPENMM ? test : test.skip

live('openmm engine: frames of a vacuum unit carry no box, of a periodic unit keep it', async t => {
  const pool = new HelperPool({ maxIdle: 1 })
  t.teardown(async () => { await pool.close() })
  const engine = { name: 'openmm', python: DEBIAN_PYTHON, platform: 'Reference' } as const
  const vacuumFrames = await framesOf(unit(vacuum, { engine }), pool)
  t.is(vacuumFrames.length, 3)
  for (const frame of vacuumFrames) t.is(frame.box, null)
  const periodicFrames = await framesOf(unit(periodic, { engine, endStep: 2, reportEvery: 1 }), pool)
  t.is(periodicFrames.length, 2)
  for (const frame of periodicFrames) t.not(frame.box, null)
})
