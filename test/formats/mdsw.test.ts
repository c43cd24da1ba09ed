import test from 'ava'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { spawnSync } from 'node:child_process'
import { encodeMdsw, MdswWriter, readMdsw, readMdswFrames, topologyToJson } from '../../src/formats/mdsw.ts'
import { readTrajectoryFile } from '../../src/formats/trajectory-files.ts'
import { readPdb } from '../../src/engine/pdb/read-pdb.ts'
import { genericTopology } from '../../src/engine/topology.ts'
import { encodeFrames } from '../../src/trajectory/index.ts'
import { errorBound, maxAbsDifference, syntheticFrames } from '../trajectory/synthetic.ts'

const repoRoot = path.resolve(import.meta.dirname, '..', '..')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-mdsw-'))
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }))

test('an .mdsw file keeps topology, metadata and frames', t => {
  const frames = syntheticFrames({ frames: 250, chainAtoms: 6, waters: 8 })
  const topology = genericTopology(30)
  topology.atomNames[0] = 'CA'
  const file = path.join(tmp, 'run.mdsw')
  const writer = MdswWriter.create(file, { atomCount: 30, topology: topologyToJson(topology), title: 'test run', stepSizePs: 0.002, reportEvery: 10 })
  for (const frame of frames) writer.appendFrame(frame)
  writer.close()
  const contents = readMdsw(fs.readFileSync(file))
  t.is(contents.chunks.length, 3)
  t.is(contents.metadata.title, 'test run')
  t.is(contents.topology?.atomNames[0], 'CA')
  const back = readMdswFrames(fs.readFileSync(file))
  t.is(back.frames.length, 250)
  back.frames.forEach((frame, i) => {
    t.is(frame.step, frames[i].step)
    t.true(maxAbsDifference(frame.positionsNm, frames[i].positionsNm) <= errorBound(0.001, 10))
  })
})

test('chunks go into an .mdsw file byte for byte (export without re-encoding)', t => {
  const frames = syntheticFrames({ frames: 10, chainAtoms: 6, waters: 8 })
  const chunks = [encodeFrames(frames.slice(0, 4)), encodeFrames(frames.slice(4), { lossless: true })]
  const bytes = encodeMdsw({ atomCount: 30 }, chunks)
  const contents = readMdsw(bytes)
  t.deepEqual(contents.chunks.map(c => Buffer.from(c)), chunks.map(c => Buffer.from(c)))
  const file = path.join(tmp, 'appended.mdsw')
  const writer = MdswWriter.create(file, { atomCount: 30 })
  for (const chunk of chunks) writer.appendChunk(chunk)
  writer.close()
  t.deepEqual(fs.readFileSync(file), Buffer.from(bytes))
  t.is(t.throws(() => MdswWriter.create(path.join(tmp, 'x.mdsw'), { atomCount: 31 }).appendChunk(chunks[0]))?.name, 'MdswFormatError')
})

test('damaged .mdsw files give MdswFormatError with the codec error as cause', t => {
  const bytes = encodeMdsw({ atomCount: 30 }, [encodeFrames(syntheticFrames({ frames: 3, chainAtoms: 6, waters: 8 }))])
  const corrupted = Uint8Array.from(bytes); corrupted[bytes.length - 20] ^= 1
  const error = t.throws(() => readMdsw(corrupted)) as Error & { cause?: Error }
  t.is(error.name, 'MdswFormatError')
  t.is(error.cause?.name, 'ChunkChecksumMismatchError')
  const truncated = t.throws(() => readMdsw(bytes.subarray(0, bytes.length - 7))) as Error & { cause?: Error }
  t.is(truncated.name, 'MdswFormatError')
  t.is(truncated.cause?.name, 'ChunkTruncatedError')
  t.is(t.throws(() => readMdsw(new TextEncoder().encode('not an mdsw file')))?.name, 'MdswFormatError')
  const badJson = Uint8Array.from(bytes); badJson[13] = 0x7b
  t.is(t.throws(() => readMdsw(badJson))?.name, 'MdswFormatError')
})

function convert (...args: string[]): { status: number | null, stdout: string, stderr: string } {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'mdswarm.mjs'), 'convert', ...args], { encoding: 'utf8', cwd: tmp })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

test('mdswarm convert moves a trajectory through every format', t => {
  const pdbPath = path.join(repoRoot, 'test', 'fixtures', 'water-box-rigid', 'structure.pdb')
  const source = readPdb(fs.readFileSync(pdbPath, 'utf8'))
  const chain = ['start.pdb', 'a.mdsw', 'b.xtc', 'c.dcd', 'd.mdsw', 'e.pdb']
  fs.copyFileSync(pdbPath, path.join(tmp, 'start.pdb'))
  for (let i = 1; i < chain.length; i++) {
    const extra = chain[i] === 'e.pdb' ? ['--top', pdbPath] : chain[i] === 'd.mdsw' ? ['--lossless'] : []
    const result = convert(chain[i - 1], '-o', chain[i], '--json', ...extra)
    t.is(result.status, 0, result.stderr)
    t.is(JSON.parse(result.stdout).atoms, source.topology.atomCount)
  }
  const end = readTrajectoryFile(path.join(tmp, 'e.pdb'))
  t.is(end.frames.length, 1)
  t.deepEqual(end.topology?.atomNames, source.topology.atomNames)
  t.true(maxAbsDifference(end.frames[0].positionsNm, source.models[0]) <= 0.0011)
  const mdsw = readMdsw(fs.readFileSync(path.join(tmp, 'a.mdsw')))
  t.deepEqual(mdsw.topology?.residueNames, source.topology.residueNames)
  t.truthy(readTrajectoryFile(path.join(tmp, 'c.dcd')).frames[0].box)
})

test('mdswarm convert explains bad arguments', t => {
  t.is(convert('missing.xtc', '-o', 'x.dcd').status, 2)
  t.is(convert('-o', 'x.dcd').status, 2)
  fs.writeFileSync(path.join(tmp, 'data.txt'), 'hello')
  const unknown = convert('data.txt', '-o', 'x.dcd')
  t.is(unknown.status, 1)
  t.regex(unknown.stderr, /UnknownTrajectoryFormatError/)
  t.is(convert(path.join(repoRoot, 'test', 'fixtures', 'water-box-rigid', 'structure.pdb'), '-o', 'y.xtc', '--precision', 'abc').status, 2)
})
