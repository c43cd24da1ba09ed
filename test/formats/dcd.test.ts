import test from 'ava'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import {
  DcdWriter, readDcd, readDcdHeader, encodeDcdHeader, encodeDcdFrame, dcdFrameByteLength,
  boxVectorsFromUnitCell, unitCellRecordFromBox
} from '../../src/formats/dcd.ts'
import { pythonHasModule, runPythonJson } from './debian-python.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-dcd-'))
test.after.always(() => { if (process.env.KEEP_TMP === undefined) fs.rmSync(tmp, { recursive: true, force: true }) })

const hasOpenMM = pythonHasModule('openmm')
const hasMdtraj = pythonHasModule('mdtraj')

/** A triclinic box in OpenMM's reduced form, nm. */
const TRICLINIC_BOX = new Float64Array([2.5, 0, 0, 0.4, 2.3, 0, -0.6, 0.7, 2.1])
const ATOM_COUNT = 7

/** Deterministic positions (nm) of frame `frame`, some outside the box. */
function positionsNm (frame: number, atomCount = ATOM_COUNT): Float64Array {
  const positions = new Float64Array(3 * atomCount)
  for (let i = 0; i < positions.length; i++) positions[i] = Math.sin(1.3 * i + 0.7 * frame) * 2.7 + 0.01 * frame
  return positions
}

function boxOfFrame (frame: number): Float64Array {
  const box = TRICLINIC_BOX.slice()
  for (const i of [0, 4, 8]) box[i] *= 1 + 0.01 * frame
  return box
}

function expectedAngstrom (positions: ArrayLike<number>): Float32Array {
  return Float32Array.from(positions, (x) => 10 * x)
}

function fileIn (name: string): string { return path.join(tmp, name) }

test('round trip with a triclinic unit cell: header, float32 Å positions, box', (t) => {
  const file = fileIn('roundtrip-box.dcd')
  const writer = DcdWriter.create(file, { atomCount: ATOM_COUNT, timeStepPs: 0.002, interval: 50, firstStep: 150, hasUnitCell: true })
  for (let frame = 0; frame < 4; frame++) writer.writeFrame(positionsNm(frame), boxOfFrame(frame))
  writer.close()

  const trajectory = readDcd(fs.readFileSync(file))
  t.is(trajectory.frameCount, 4)
  const header = trajectory.header
  t.true(header.littleEndian)
  t.is(header.atomCount, ATOM_COUNT)
  t.is(header.frameCountInHeader, 4)
  t.is(header.firstStep, 150)
  t.is(header.interval, 50)
  t.is(header.lastStep, 150 + 4 * 50)
  t.true(header.hasUnitCell)
  t.is(header.charmmVersion, 24)
  t.is(header.titles[0], 'Created by mdswarm')
  t.regex(header.titles[1], /^Created \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/)
  t.true(Math.abs(header.timeStepPs - 0.002) < 1e-9)
  t.is(fs.statSync(file).size, header.headerByteLength + 4 * dcdFrameByteLength(ATOM_COUNT, true))

  for (let frame = 0; frame < 4; frame++) {
    t.deepEqual(trajectory.positionsAngstrom[frame], expectedAngstrom(positionsNm(frame)))
    const cell = trajectory.unitCells[frame]
    if (cell === null) return t.fail('unit cell missing')
    const box = boxVectorsFromUnitCell(cell)
    const expected = boxOfFrame(frame)
    for (let i = 0; i < 9; i++) t.true(Math.abs(box[i] - expected[i]) < 1e-12, `box[${i}] ${box[i]} vs ${expected[i]}`)
  }
})

test('round trip without a unit cell', (t) => {
  const file = fileIn('roundtrip-nobox.dcd')
  const writer = DcdWriter.create(file, { atomCount: ATOM_COUNT, timeStepPs: 0.001, interval: 1, firstStep: 1, hasUnitCell: false })
  writer.writeFrame(positionsNm(0), null)
  writer.writeFrame(Float32Array.from(positionsNm(1)), null)
  writer.close()
  const trajectory = readDcd(fs.readFileSync(file))
  t.false(trajectory.header.hasUnitCell)
  t.deepEqual(trajectory.unitCells, [null, null])
  t.deepEqual(trajectory.positionsAngstrom[0], expectedAngstrom(positionsNm(0)))
  t.deepEqual(trajectory.positionsAngstrom[1], expectedAngstrom(Float32Array.from(positionsNm(1))))
})

test('the file is a valid DCD after every frame, and an empty one after create', (t) => {
  const file = fileIn('streaming.dcd')
  const writer = DcdWriter.create(file, { atomCount: ATOM_COUNT, timeStepPs: 0.002, interval: 10, firstStep: 10, hasUnitCell: true })
  t.is(readDcd(fs.readFileSync(file)).frameCount, 0)
  for (let frame = 0; frame < 3; frame++) {
    writer.writeFrame(positionsNm(frame), boxOfFrame(frame))
    writer.flush()
    const trajectory = readDcd(fs.readFileSync(file))
    t.is(trajectory.frameCount, frame + 1)
    t.is(trajectory.header.lastStep, 10 + (frame + 1) * 10)
  }
  writer.close()
  writer.close()
})

test('append continues a file, drops a torn last frame and frames after a checkpoint step', (t) => {
  const file = fileIn('append.dcd')
  const writer = DcdWriter.create(file, { atomCount: ATOM_COUNT, timeStepPs: 0.002, interval: 10, firstStep: 10, hasUnitCell: true })
  for (let frame = 0; frame < 5; frame++) writer.writeFrame(positionsNm(frame), boxOfFrame(frame)) // steps 10..50
  writer.close()
  // A torn frame, as a crash in the middle of a write leaves behind.
  fs.appendFileSync(file, new Uint8Array(37))

  const appender = DcdWriter.append(file, { atomCount: ATOM_COUNT, hasUnitCell: true, keepFramesUpToStep: 34 })
  t.is(appender.frameCount, 3)
  t.is(appender.nextFrameStep, 40)
  appender.writeFrame(positionsNm(10), boxOfFrame(10))
  appender.close()
  const trajectory = readDcd(fs.readFileSync(file))
  t.is(trajectory.frameCount, 4)
  t.deepEqual(trajectory.positionsAngstrom[2], expectedAngstrom(positionsNm(2)))
  t.deepEqual(trajectory.positionsAngstrom[3], expectedAngstrom(positionsNm(10)))
  t.is(fs.statSync(file).size, trajectory.header.headerByteLength + 4 * trajectory.header.frameByteLength)

  t.is(t.throws(() => DcdWriter.append(file, { atomCount: ATOM_COUNT + 1 }))?.name, 'DcdFormatError')
  t.is(t.throws(() => DcdWriter.append(file, { atomCount: ATOM_COUNT, hasUnitCell: false }))?.name, 'DcdFormatError')
})

test('NaN positions and frames of the wrong size are refused', (t) => {
  const file = fileIn('nan.dcd')
  const writer = DcdWriter.create(file, { atomCount: 2, timeStepPs: 0.002, interval: 1, firstStep: 1, hasUnitCell: false })
  t.is(t.throws(() => writer.writeFrame([0, 0, 0, Number.NaN, 0, 0], null))?.name, 'InvalidCoordinatesError')
  t.is(t.throws(() => writer.writeFrame([0, 0, 0], null))?.name, 'DcdFormatError')
  writer.close()
  t.is(readDcd(fs.readFileSync(file)).frameCount, 0)
})

test('truncated and corrupted files give DcdFormatError', (t) => {
  const header = encodeDcdHeader({ atomCount: 3, timeStepPs: 0.002, interval: 1, firstStep: 1, hasUnitCell: true, frameCount: 2 })
  const frame0 = encodeDcdFrame([0.1, 0.2, 0.3, 1, 2, 3, -1, -2, -3], TRICLINIC_BOX, true)
  const frame1 = encodeDcdFrame([0.2, 0.2, 0.3, 1, 2, 3, -1, -2, -3], TRICLINIC_BOX, true)
  const whole = Buffer.concat([header, frame0, frame1])
  t.is(readDcd(whole).frameCount, 2)

  for (const length of [0, 3, 50, 91, 100, header.length - 1, header.length + 10, whole.length - 1]) {
    t.is(t.throws(() => readDcd(whole.subarray(0, length)), undefined, `length ${length}`)?.name, 'DcdFormatError')
  }
  // allowTruncated keeps the complete frames of a file whose header counts more.
  t.is(readDcd(whole.subarray(0, whole.length - 1), { allowTruncated: true }).frameCount, 1)

  const notDcd = Buffer.from('ATOM      1  N   ALA A   1      0.000   0.000   0.000  1.00  0.00           N\n'.repeat(4))
  t.is(t.throws(() => readDcd(notDcd))?.name, 'DcdFormatError')

  const badMarker = Buffer.from(whole)
  badMarker.writeInt32LE(47, header.length) // unit cell record of frame 1
  t.is(t.throws(() => readDcd(badMarker))?.name, 'DcdFormatError')

  const badClosingMarker = Buffer.from(whole)
  badClosingMarker.writeInt32LE(13, header.length + frame0.length - 4) // closing marker of Z of frame 1
  t.is(t.throws(() => readDcd(badClosingMarker))?.name, 'DcdFormatError')

  const badMagic = Buffer.from(whole)
  badMagic.write('VELD', 4, 'latin1')
  t.is(t.throws(() => readDcd(badMagic))?.name, 'DcdFormatError')

  const badAtomCount = Buffer.from(whole)
  badAtomCount.writeInt32LE(-5, header.length - 8)
  t.is(t.throws(() => readDcd(badAtomCount))?.name, 'DcdFormatError')
})

test('big-endian DCD files are read', (t) => {
  const positions = [0.1, 0.2, 0.3, 1, 2, 3, -1, -2, -3]
  const header = encodeDcdHeader({ atomCount: 3, timeStepPs: 0.004, interval: 5, firstStep: 5, hasUnitCell: true, frameCount: 1, littleEndian: false })
  const frame = encodeDcdFrame(positions, TRICLINIC_BOX, true, undefined, false)
  const trajectory = readDcd(Buffer.concat([header, frame]))
  t.false(trajectory.header.littleEndian)
  t.is(trajectory.header.interval, 5)
  t.deepEqual(trajectory.positionsAngstrom[0], expectedAngstrom(positions))
  t.true(Math.abs(trajectory.header.timeStepPs - 0.004) < 1e-9)
})

/** Writes a DCD as OpenMM's DCDFile does, but with '>' (big-endian) struct formats: an independent big-endian writer. */
const PYTHON_BIG_ENDIAN_WRITER = String.raw`
import sys, json, struct, array, math
d = json.load(sys.stdin)
n = d['n']
with open(d['path'], 'wb') as f:
    f.write(struct.pack('>i4c9if', 84, b'C', b'O', b'R', b'D', len(d['frames']), 7, 7, 0, 0, 0, 0, 0, 0, 0.002/0.04888821))
    f.write(struct.pack('>13i', 1, 0, 0, 0, 0, 0, 0, 0, 0, 24, 84, 164, 2))
    f.write(struct.pack('>80s', b'Created by hand'))
    f.write(struct.pack('>80s', b'big endian'))
    f.write(struct.pack('>4i', 164, 4, n, 4))
    for frame in d['frames']:
        f.write(struct.pack('>i6di', 48, 25.0, 0.0, 26.0, 0.0, 0.0, 27.0, 48))
        for axis in range(3):
            f.write(struct.pack('>i', 4*n))
            data = array.array('f', (10*frame[3*i+axis] for i in range(n)))
            data.byteswap()
            data.tofile(f)
            f.write(struct.pack('>i', 4*n))
print('{}')
`

test('a big-endian DCD written by an independent (Python struct) writer is read', (t) => {
  const file = fileIn('big-endian-python.dcd')
  const frames = [Array.from(positionsNm(0, 4)), Array.from(positionsNm(1, 4))]
  runPythonJson(PYTHON_BIG_ENDIAN_WRITER, { path: file, n: 4, frames })
  const trajectory = readDcd(fs.readFileSync(file))
  t.false(trajectory.header.littleEndian)
  t.is(trajectory.frameCount, 2)
  t.is(trajectory.header.titles[1], 'big endian')
  t.deepEqual(trajectory.positionsAngstrom[1], expectedAngstrom(frames[1]))
  t.deepEqual(trajectory.unitCells[0], { aAngstrom: 25, bAngstrom: 26, cAngstrom: 27, alphaDeg: 90, betaDeg: 90, gammaDeg: 90 })
})

/** OpenMM's DCDFile writing the same frames: to compare bytes. */
const PYTHON_OPENMM_DCDFILE = String.raw`
import sys, json
from openmm import Vec3
from openmm.app import Topology, Element, DCDFile
from openmm.unit import nanometers, picoseconds
d = json.load(sys.stdin)
n = d['n']
top = Topology()
residue = top.addResidue('UNK', top.addChain())
for i in range(n):
    top.addAtom('C%d' % i, Element.getBySymbol('C'), residue)
def vectors(b):
    return (Vec3(*b[0:3]), Vec3(*b[3:6]), Vec3(*b[6:9]))*nanometers
if d['boxes'] is not None:
    top.setPeriodicBoxVectors(vectors(d['boxes'][0]))
with open(d['path'], 'wb') as f:
    dcd = DCDFile(f, top, d['dt']*picoseconds, d['firstStep'], d['interval'])
    for k, frame in enumerate(d['frames']):
        positions = [Vec3(*frame[3*i:3*i+3]) for i in range(n)]*nanometers
        dcd.writeModel(positions, periodicBoxVectors=None if d['boxes'] is None else vectors(d['boxes'][k]))
print('{}')
`

const BYTE_COMPARISONS = [
  { withBox: true, firstStep: 25, interval: 25, label: 'with unit cell' },
  { withBox: false, firstStep: 25, interval: 25, label: 'without unit cell' },
  // The third frame's step passes 2^31: OpenMM then rewrites the header as fewer, longer steps.
  { withBox: false, firstStep: 2 ** 31 - 2500, interval: 1000, label: 'steps beyond 2^31' },
]

for (const { withBox, firstStep, interval, label } of BYTE_COMPARISONS) {
  test(`bytes equal OpenMM's DCDFile output (except the title lines), ${label}`, (t) => {
    if (!hasOpenMM) return t.pass('skipped: /usr/bin/python3 cannot import openmm')
    const ours = fileIn(`ours-${label}.dcd`)
    const theirs = fileIn(`openmm-${label}.dcd`)
    const frames = [0, 1, 2].map((k) => positionsNm(k))
    const boxes = [0, 1, 2].map((k) => boxOfFrame(k))
    const writer = DcdWriter.create(ours, { atomCount: ATOM_COUNT, timeStepPs: 0.002, interval, firstStep, hasUnitCell: withBox })
    for (let k = 0; k < 3; k++) writer.writeFrame(frames[k], withBox ? boxes[k] : null)
    writer.close()
    runPythonJson(PYTHON_OPENMM_DCDFILE, {
      path: theirs, n: ATOM_COUNT, dt: 0.002, firstStep, interval,
      frames: frames.map((f) => Array.from(f)), boxes: withBox ? boxes.map((b) => Array.from(b)) : null
    })
    const a = fs.readFileSync(ours)
    const b = fs.readFileSync(theirs)
    t.is(a.length, b.length)
    const titlesStart = 92 + 8 // control record, then title record marker and title count
    const titlesEnd = titlesStart + 160
    t.true(a.subarray(0, titlesStart).equals(b.subarray(0, titlesStart)), 'control record differs')
    // Everything after the titles is byte-identical except that the unit cell
    // cosines may differ in the last bit: V8's acos/sin (fdlibm) and glibc's
    // round differently by up to 1 ulp.
    const headerLength = readDcdHeader(a).headerByteLength
    t.true(a.subarray(titlesEnd, headerLength).equals(b.subarray(titlesEnd, headerLength)), 'atom count record differs')
    const frameLength = dcdFrameByteLength(ATOM_COUNT, withBox)
    for (let k = 0; k < 3; k++) {
      const start = headerLength + k * frameLength
      const cellEnd = withBox ? start + 56 : start
      for (let offset = start + 4; offset < cellEnd - 4; offset += 8) {
        const ourValue = a.readDoubleLE(offset)
        const theirValue = b.readDoubleLE(offset)
        t.true(Math.abs(ourValue - theirValue) <= 2 * Number.EPSILON * Math.max(1, Math.abs(theirValue)), `frame ${k} unit cell ${ourValue} vs ${theirValue}`)
      }
      t.true(a.subarray(cellEnd, start + frameLength).equals(b.subarray(cellEnd, start + frameLength)), `coordinates of frame ${k} differ`)
    }
  })
}

test('unit cell record matches OpenMM for a rectangular box: cosines 0', (t) => {
  t.deepEqual(unitCellRecordFromBox(new Float64Array([3, 0, 0, 0, 4, 0, 0, 0, 5])).map((v) => Math.abs(v) < 1e-15 ? 0 : v), [30, 0, 40, 0, 0, 50])
})

/** A PDB with `n` carbon atoms, for mdtraj's topology. */
function carbonPdb (n: number): string {
  const lines: string[] = []
  for (let i = 0; i < n; i++) {
    lines.push(`ATOM  ${String(i + 1).padStart(5)}  C${String(i).padEnd(2)} UNK A   1    ${'0.000'.padStart(8)}${'0.000'.padStart(8)}${'0.000'.padStart(8)}  1.00  0.00           C`)
  }
  lines.push('END')
  return lines.join('\n') + '\n'
}

const PYTHON_MDTRAJ_LOAD = String.raw`
import sys, json
import mdtraj
d = json.load(sys.stdin)
t = mdtraj.load(d['dcd'], top=d['pdb'])
print(json.dumps({
  'n_frames': t.n_frames, 'n_atoms': t.n_atoms,
  'xyz': t.xyz.astype(float).ravel().tolist(),
  'lengths': None if t.unitcell_lengths is None else t.unitcell_lengths.astype(float).ravel().tolist(),
  'angles': None if t.unitcell_angles is None else t.unitcell_angles.astype(float).ravel().tolist(),
}))
`

test('mdtraj loads our DCD with a PDB topology and agrees on coordinates and box', (t) => {
  if (!hasMdtraj) return t.pass('skipped: /usr/bin/python3 cannot import mdtraj')
  const dcd = fileIn('for-mdtraj.dcd')
  const pdb = fileIn('carbons.pdb')
  fs.writeFileSync(pdb, carbonPdb(ATOM_COUNT))
  const writer = DcdWriter.create(dcd, { atomCount: ATOM_COUNT, timeStepPs: 0.002, interval: 10, firstStep: 10, hasUnitCell: true })
  for (let k = 0; k < 3; k++) writer.writeFrame(positionsNm(k), boxOfFrame(k))
  writer.close()
  const loaded = runPythonJson<{ n_frames: number, n_atoms: number, xyz: number[], lengths: number[], angles: number[] }>(PYTHON_MDTRAJ_LOAD, { dcd, pdb })
  t.is(loaded.n_frames, 3)
  t.is(loaded.n_atoms, ATOM_COUNT)
  const ours = readDcd(fs.readFileSync(dcd))
  for (let k = 0; k < 3; k++) {
    for (let i = 0; i < 3 * ATOM_COUNT; i++) {
      const mdtrajNm = loaded.xyz[k * 3 * ATOM_COUNT + i]
      t.true(Math.abs(mdtrajNm - ours.positionsAngstrom[k][i] / 10) < 1e-6, `frame ${k} coordinate ${i}`)
      t.true(Math.abs(mdtrajNm - positionsNm(k)[i]) < 1e-5)
    }
    const cell = ours.unitCells[k]
    if (cell === null) return t.fail('unit cell missing')
    const ourLengthsNm = [cell.aAngstrom / 10, cell.bAngstrom / 10, cell.cAngstrom / 10]
    const ourAngles = [cell.alphaDeg, cell.betaDeg, cell.gammaDeg]
    for (let i = 0; i < 3; i++) {
      t.true(Math.abs(loaded.lengths[3 * k + i] - ourLengthsNm[i]) < 1e-5, `frame ${k} length ${i}`)
      t.true(Math.abs(loaded.angles[3 * k + i] - ourAngles[i]) < 1e-4, `frame ${k} angle ${i}: ${loaded.angles[3 * k + i]} vs ${ourAngles[i]}`)
    }
  }
})

/** Runs OpenMM's DCDReporter on a few free particles in a triclinic box and records the positions it reported. */
const PYTHON_OPENMM_REPORTER = String.raw`
import sys, json
import openmm as mm
from openmm import app, unit, Vec3
d = json.load(sys.stdin)
n = d['n']
system = mm.System()
for i in range(n):
    system.addParticle(12.0)
b = d['box']
vectors = (Vec3(*b[0:3]), Vec3(*b[3:6]), Vec3(*b[6:9]))*unit.nanometers
system.setDefaultPeriodicBoxVectors(*vectors)
top = app.Topology()
residue = top.addResidue('UNK', top.addChain())
for i in range(n):
    top.addAtom('C%d' % i, app.Element.getBySymbol('C'), residue)
top.setPeriodicBoxVectors(vectors)
sim = app.Simulation(top, system, mm.VerletIntegrator(0.002), mm.Platform.getPlatformByName('Reference'))
p = d['positions']
sim.context.setPositions([Vec3(*p[3*i:3*i+3]) for i in range(n)])
sim.context.setVelocities([Vec3(0.5*i, -0.3, 0.2) for i in range(n)])
class Recorder(object):
    def __init__(self):
        self.frames = []
    def describeNextReport(self, simulation):
        return (4 - simulation.currentStep % 4, True, False, False, False, False)
    def report(self, simulation, state):
        self.frames.append(state.getPositions(asNumpy=True).value_in_unit(unit.nanometers).ravel().tolist())
recorder = Recorder()
sim.reporters.append(app.DCDReporter(d['path'], 4))
sim.reporters.append(recorder)
sim.step(12)
sim.reporters[0]._out.close()
print(json.dumps({'frames': recorder.frames}))
`

test("we read a DCD written by OpenMM's DCDReporter", (t) => {
  if (!hasOpenMM) return t.pass('skipped: /usr/bin/python3 cannot import openmm')
  const file = fileIn('openmm-reporter.dcd')
  const result = runPythonJson<{ frames: number[][] }>(PYTHON_OPENMM_REPORTER, { path: file, n: 5, box: Array.from(TRICLINIC_BOX), positions: Array.from(positionsNm(0, 5)) })
  const trajectory = readDcd(fs.readFileSync(file))
  t.is(trajectory.frameCount, 3)
  t.is(trajectory.header.firstStep, 4)
  t.is(trajectory.header.interval, 4)
  t.true(Math.abs(trajectory.header.timeStepPs - 0.002) < 1e-9)
  t.is(trajectory.header.titles[0], 'Created by OpenMM')
  for (let k = 0; k < 3; k++) {
    t.deepEqual(trajectory.positionsAngstrom[k], expectedAngstrom(result.frames[k]))
    const cell = trajectory.unitCells[k]
    if (cell === null) return t.fail('unit cell missing')
    const box = boxVectorsFromUnitCell(cell)
    for (let i = 0; i < 9; i++) t.true(Math.abs(box[i] - TRICLINIC_BOX[i]) < 1e-12)
  }
  t.is(readDcdHeader(fs.readFileSync(file)).atomCount, 5)
})

const PYTHON_MDTRAJ_WRITE = String.raw`
import sys, json
import numpy as np
from mdtraj.formats import DCDTrajectoryFile
d = json.load(sys.stdin)
xyz = np.array(d['xyz'], dtype=np.float32).reshape(d['frames'], d['n'], 3)
lengths = np.array([[24.0, 25.0, 26.0]] * d['frames'], dtype=np.float32)
angles = np.array([[80.0, 95.0, 70.0]] * d['frames'], dtype=np.float32)
with DCDTrajectoryFile(d['path'], 'w') as f:
    f.write(xyz, cell_lengths=lengths, cell_angles=angles)
print('{}')
`

test('we read a DCD written by mdtraj', (t) => {
  if (!hasMdtraj) return t.pass('skipped: /usr/bin/python3 cannot import mdtraj')
  const file = fileIn('mdtraj.dcd')
  const xyzAngstrom = [...expectedAngstrom(positionsNm(0, 6)), ...expectedAngstrom(positionsNm(1, 6))]
  runPythonJson(PYTHON_MDTRAJ_WRITE, { path: file, n: 6, frames: 2, xyz: xyzAngstrom })
  const trajectory = readDcd(fs.readFileSync(file))
  t.is(trajectory.frameCount, 2)
  t.is(trajectory.header.atomCount, 6)
  t.deepEqual(Array.from(trajectory.positionsAngstrom[1]), xyzAngstrom.slice(18))
  const cell = trajectory.unitCells[0]
  if (cell === null) return t.fail('unit cell missing')
  t.true(Math.abs(cell.aAngstrom - 24) < 1e-4 && Math.abs(cell.bAngstrom - 25) < 1e-4 && Math.abs(cell.cAngstrom - 26) < 1e-4)
  t.true(Math.abs(cell.alphaDeg - 80) < 1e-3 && Math.abs(cell.betaDeg - 95) < 1e-3 && Math.abs(cell.gammaDeg - 70) < 1e-3, JSON.stringify(cell))
})
