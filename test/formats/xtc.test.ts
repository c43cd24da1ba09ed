import test from 'ava'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { decodeXtcFrame, encodeXtcFrame, readXtc, XtcWriter } from '../../src/formats/xtc.ts'
import { openTrajectoryWriter, readTrajectoryFile } from '../../src/formats/trajectory-files.ts'
import { pythonHasModule, runPythonJson } from './debian-python.ts'

const repoRoot = path.resolve(import.meta.dirname, '..', '..')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-xtc-'))
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }))

function randomFrame (atoms: number, seed: number, scale = 3, offset = 0): Float32Array {
  let s = seed
  const next = (): number => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 }
  const out = new Float32Array(3 * atoms)
  // Water-like triplets close together, so the run-length path is exercised.
  for (let a = 0; a < atoms; a++) for (let k = 0; k < 3; k++) out[3 * a + k] = (a % 3 === 0 ? scale * next() : out[3 * (a - 1) + k] + 0.08 * (next() - 0.5)) + offset
  return out
}

test('our XTC writer and reader round-trip within half the precision', t => {
  for (const [atoms, precision] of [[3000, 1000], [50, 100], [400, 10000]] as const) {
    const frames = [0, 1, 2].map(i => ({ step: 100 * i, timePs: 0.2 * i, box: [3, 0, 0, 0, 3.1, 0, 0.1, 0.2, 3.2], positionsNm: randomFrame(atoms, 7 + i) }))
    const bytes = Buffer.concat(frames.map(f => encodeXtcFrame(f, precision)))
    const back = readXtc(bytes)
    t.is(back.frames.length, 3)
    t.is(back.atomCount, atoms)
    back.frames.forEach((frame, i) => {
      t.is(frame.step, 100 * i)
      t.is(frame.timePs, Math.fround(0.2 * i))
      t.is(frame.precision, precision)
      t.deepEqual(Array.from(frame.box ?? []), frames[i].box.map(Math.fround))
      let max = 0
      for (let k = 0; k < frame.positionsNm.length; k++) max = Math.max(max, Math.abs(frame.positionsNm[k] - frames[i].positionsNm[k]))
      t.true(max <= 0.5 / precision + 1e-6, `max error ${max} at precision ${precision}`)
    })
  }
})

test('frames of nine atoms or fewer are stored as plain floats', t => {
  const positions = Float32Array.from({ length: 27 }, (_, i) => i * 0.37 - 4)
  const { frame, next } = decodeXtcFrame(encodeXtcFrame({ step: 5, timePs: 1, box: null, positionsNm: positions }), 0)
  t.deepEqual(Array.from(frame.positionsNm), Array.from(positions))
  t.is(frame.box, null)
  t.is(next, 4 * (4 + 9 + 1 + 27))
})

test('coordinates spanning more than 2^24 lattice steps use the large-integer path', t => {
  const positions = randomFrame(30, 3, 40_000, -20_000)
  const back = decodeXtcFrame(encodeXtcFrame({ step: 0, timePs: 0, box: null, positionsNm: positions }), 0).frame
  let max = 0
  for (let k = 0; k < positions.length; k++) max = Math.max(max, Math.abs(back.positionsNm[k] - positions[k]))
  t.true(max <= 0.0005 + 0.004, `max error ${max}`) // float32 spacing at 20000 nm is ~0.002 nm
})

test('truncated and corrupted XTC files give XtcFormatError', t => {
  const bytes = Buffer.concat([0, 1].map(i => encodeXtcFrame({ step: i, timePs: i, box: null, positionsNm: randomFrame(200, i) })))
  for (const length of [3, 50, 100, bytes.length - 1]) t.is(t.throws(() => readXtc(bytes.subarray(0, length)))?.name, 'XtcFormatError')
  t.is(readXtc(bytes.subarray(0, bytes.length - 10), { allowTruncated: true }).frames.length, 1)
  const badMagic = Buffer.from(bytes); badMagic[3] = 7
  t.is(t.throws(() => readXtc(badMagic))?.name, 'XtcFormatError')
  const badIndex = Buffer.from(bytes); badIndex.writeInt32BE(200, 4 * (4 + 9 + 1 + 1 + 6))
  t.is(t.throws(() => readXtc(badIndex))?.name, 'XtcFormatError')
  t.is(t.throws(() => encodeXtcFrame({ step: 0, timePs: 0, box: null, positionsNm: Float32Array.from([0, 0, NaN]) }))?.name, 'XtcFormatError')
  t.is(t.throws(() => encodeXtcFrame({ step: 0, timePs: 0, box: null, positionsNm: randomFrame(20, 1, 1, 3e6) }))?.name, 'XtcFormatError')
})

const haveTools = pythonHasModule('openmm') && pythonHasModule('mdtraj')
const interop = haveTools ? test.serial : test.skip
if (!haveTools) test('interoperability with OpenMM and mdtraj (skipped: /usr/bin/python3 lacks openmm or mdtraj)', t => { t.pass() })

/** OpenMM runs a small rigid water box, writes a DCD with its DCDReporter; mdtraj writes XTC and DCD of the same frames. */
const GENERATE = String.raw`
import json, sys, numpy as np
import openmm as mm, openmm.app as app, openmm.unit as u
import mdtraj as md
args = json.load(sys.stdin)
d = args['fixture']
system = mm.XmlSerializer.deserialize(open(d + '/system.xml').read())
state = mm.XmlSerializer.deserialize(open(d + '/state.xml').read())
integrator = mm.LangevinMiddleIntegrator(300*u.kelvin, 1/u.picosecond, 0.002*u.picoseconds)
integrator.setRandomNumberSeed(5)
pdb = app.PDBFile(d + '/structure.pdb')
sim = app.Simulation(pdb.topology, system, integrator, mm.Platform.getPlatformByName('Reference'))
sim.context.setState(state)
sim.context.setVelocitiesToTemperature(300*u.kelvin, 5)
sim.reporters.append(app.DCDReporter(args['out'] + '/openmm.dcd', 5))
frames, boxes = [], []
for i in range(4):
    sim.step(5)
    s = sim.context.getState(getPositions=True)
    frames.append(s.getPositions(asNumpy=True).value_in_unit(u.nanometer).astype(np.float32))
    boxes.append(s.getPeriodicBoxVectors(asNumpy=True).value_in_unit(u.nanometer).astype(np.float32))
xyz = np.array(frames); box = np.array(boxes)
with md.formats.XTCTrajectoryFile(args['out'] + '/mdtraj.xtc', 'w') as f:
    f.write(xyz, time=np.arange(4, dtype=np.float32) * 0.01 + 0.01, step=np.arange(1, 5, dtype=np.int32) * 5, box=box)
lengths = np.array([np.linalg.norm(b, axis=1) for b in box]) * 10
with md.formats.DCDTrajectoryFile(args['out'] + '/mdtraj.dcd', 'w') as f:
    f.write(xyz * 10, cell_lengths=lengths, cell_angles=np.full((4, 3), 90.0))
print(json.dumps({'positions': xyz.reshape(4, -1).tolist(), 'atoms': int(xyz.shape[1])}))
`

const READ_BACK = String.raw`
import json, sys, numpy as np, mdtraj as md
args = json.load(sys.stdin)
out = {}
for name in args['files']:
    if name.endswith('.xtc'):
        xyz, time, step, box = md.formats.XTCTrajectoryFile(name).read()
        out[name] = {'xyz': xyz.reshape(len(xyz), -1).tolist(), 'step': step.tolist(), 'box': box.reshape(len(box), -1).tolist()}
    else:
        xyz, lengths, angles = md.formats.DCDTrajectoryFile(name).read()
        out[name] = {'xyz': (xyz / 10).reshape(len(xyz), -1).tolist(), 'lengths': lengths.tolist()}
    t = md.load(name, top=args['top'])
    out[name]['mdtrajLoadFrames'] = int(t.n_frames)
print(json.dumps(out))
`

interop('we read XTC and DCD written by mdtraj and OpenMM, and mdtraj reads ours and agrees', t => {
  const fixture = path.join(repoRoot, 'test', 'fixtures', 'water-box-rigid')
  const made = runPythonJson<{ positions: number[][], atoms: number }>(GENERATE, { fixture, out: tmp })
  const atoms = made.atoms

  // mdtraj's XTC: our reader gives exactly the floats xdrfile gives.
  const theirsXtc = readTrajectoryFile(path.join(tmp, 'mdtraj.xtc'))
  t.is(theirsXtc.frames.length, 4)
  t.deepEqual(theirsXtc.frames.map(f => f.step), [5, 10, 15, 20])
  const theirsXtcByMdtraj = runPythonJson<Record<string, { xyz: number[][] }>>(READ_BACK, { files: [path.join(tmp, 'mdtraj.xtc')], top: path.join(fixture, 'structure.pdb') })
  theirsXtc.frames.forEach((frame, i) => t.deepEqual(Array.from(frame.positionsNm), theirsXtcByMdtraj[path.join(tmp, 'mdtraj.xtc')].xyz[i].map(Math.fround)))

  // OpenMM's DCDReporter and mdtraj's DCD writer: float32 Å, so within float rounding.
  for (const name of ['openmm.dcd', 'mdtraj.dcd']) {
    const dcd = readTrajectoryFile(path.join(tmp, name))
    t.is(dcd.frames.length, 4, name)
    dcd.frames.forEach((frame, i) => {
      let max = 0
      const box = frame.box
      t.truthy(box)
      // OpenMM's DCDReporter wraps molecules into the box: compare modulo the (rectangular) box.
      for (let k = 0; k < 3 * atoms; k++) {
        const length = box !== null ? box[4 * (k % 3)] : Infinity
        const d = frame.positionsNm[k] - made.positions[i][k]
        max = Math.max(max, Math.abs(d - length * Math.round(d / length)))
      }
      t.true(max < 1e-5, `${name} frame ${i}: ${max}`)
    })
  }

  // Ours: XTC (our xdr3dfcoord) and DCD, read back by mdtraj.
  const ourXtc = path.join(tmp, 'ours.xtc')
  const ourDcd = path.join(tmp, 'ours.dcd')
  for (const file of [ourXtc, ourDcd]) {
    const writer = openTrajectoryWriter(file, { atomCount: atoms, stepSizePs: 0.002 })
    theirsXtc.frames.forEach((frame, i) => writer.writeFrame({ ...frame, positionsNm: Float32Array.from(made.positions[i]) }))
    writer.close()
  }
  const seen = runPythonJson<Record<string, { xyz: number[][], step?: number[], box?: number[][], mdtrajLoadFrames: number }>>(READ_BACK, { files: [ourXtc, ourDcd], top: path.join(fixture, 'structure.pdb') })
  const ours = readXtc(fs.readFileSync(ourXtc))
  t.is(seen[ourXtc].mdtrajLoadFrames, 4)
  t.is(seen[ourDcd].mdtrajLoadFrames, 4)
  t.deepEqual(seen[ourXtc].step, [5, 10, 15, 20])
  ours.frames.forEach((frame, i) => {
    t.deepEqual(seen[ourXtc].xyz[i].map(Math.fround), Array.from(frame.positionsNm), 'mdtraj decodes our XTC to exactly our coordinates')
    let max = 0
    for (let k = 0; k < 3 * atoms; k++) max = Math.max(max, Math.abs(frame.positionsNm[k] - made.positions[i][k]))
    t.true(max <= 0.0005 + 1e-6, `XTC error ${max}`)
    let maxDcd = 0
    for (let k = 0; k < 3 * atoms; k++) maxDcd = Math.max(maxDcd, Math.abs(seen[ourDcd].xyz[i][k] - made.positions[i][k]))
    t.true(maxDcd < 1e-5, `DCD error ${maxDcd}`)
  })
  // Byte for byte what mdtraj (libxdrfile) writes for the same frames.
  const rewritten = path.join(tmp, 'rewritten.xtc')
  const writer = XtcWriter.create(rewritten)
  for (const frame of theirsXtc.frames) writer.writeFrame(frame)
  writer.close()
  t.deepEqual(fs.readFileSync(rewritten), fs.readFileSync(path.join(tmp, 'mdtraj.xtc')))
})
