/**
 * Trajectory output options end to end (coordinator and node as separate
 * processes): `submit --keep 0-9,15` gives frames of only those atoms,
 * `fetch -o out.xtc --topology top.pdb` writes an XTC that mdtraj reads with
 * that topology, `fetch -o out.mdsw` stores the chunks as the coordinator
 * holds them, and a `--lossless` job returns the reference frames bit for bit.
 */
import test from 'ava'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { connect } from '../../src/client/index.ts'
import { readPdb } from '../../src/engine/pdb/read-pdb.ts'
import { readMdsw } from '../../src/formats/mdsw.ts'
import { runCliCommand, startCoordinator, startNode, tempDir } from './helpers/processes.ts'
import { ala2Files } from './helpers/inputs.ts'
import { CODEC_TOLERANCE_NM, collect, mdtrajAvailable, referenceFrames } from './helpers/trajectory-check.ts'

const STEPS = 200
const REPORT_EVERY = 20
const KEEP = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15]

function keptReference (seed: number): Array<{ step: number, positionsNm: Float32Array }> {
  return referenceFrames(seed, STEPS, REPORT_EVERY).map(f => ({
    step: f.step,
    positionsNm: Float32Array.from({ length: 3 * KEEP.length }, (_, i) => f.positionsNm[3 * KEEP[Math.floor(i / 3)] + (i % 3)])
  }))
}

function worstDifference (a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]))
  return worst
}

test('--keep returns only the kept atoms; fetch writes .xtc (read by mdtraj) and .mdsw; --lossless is exact', async t => {
  const root = tempDir(t, 'keep')
  const coordinator = await startCoordinator(t, path.join(root, 'coordinator'))
  await startNode(t, path.join(root, 'node'), coordinator.address)
  const common = ['--coordinator', coordinator.address, '--home', coordinator.home]
  const inputs = ['--system', ala2Files.system, '--integrator', ala2Files.integrator, '--pdb', ala2Files.pdb, '--state', ala2Files.state,
    '--steps', String(STEPS), '--report-every', String(REPORT_EVERY), '--segment-steps', '100']

  const kept = await runCliCommand(t, 'mdswarm', ['submit', ...inputs, '--keep', '0-9,15', '--seed', '7', '--json', ...common])
  t.is(kept.code, 0, kept.stderr)
  const keptJob = (JSON.parse(kept.stdout) as { jobs: Array<{ id: string, seed: number }> }).jobs[0]
  const exact = await runCliCommand(t, 'mdswarm', ['submit', ...inputs, '--lossless', '--seed', '8', '--json', ...common])
  t.is(exact.code, 0, exact.stderr)
  const exactJob = (JSON.parse(exact.stdout) as { jobs: Array<{ id: string, seed: number }> }).jobs[0]
  const bad = await runCliCommand(t, 'mdswarm', ['submit', ...inputs, '--keep', '0-99', ...common])
  t.not(bad.code, 0, 'a --keep beyond the PDB is refused')

  const waited = await runCliCommand(t, 'mdswarm', ['wait', keptJob.id, exactJob.id, ...common], 240_000)
  t.is(waited.code, 0, waited.stderr)

  const client = await connect({ coordinator: coordinator.address, home: coordinator.home })
  t.teardown(async () => { await client.close() })

  // Kept atoms only, through the library.
  const reference = keptReference(keptJob.seed)
  const frames = await collect(client.frames(keptJob.id))
  t.deepEqual(frames.map(f => f.step), reference.map(f => f.step))
  t.true(frames.every(f => f.positionsNm.length === 3 * KEEP.length), 'every frame holds the 11 kept atoms')
  const worst = Math.max(...frames.map((f, i) => worstDifference(f.positionsNm, reference[i].positionsNm)))
  t.true(worst <= CODEC_TOLERANCE_NM, `kept atoms differ from the reference by up to ${worst} nm`)
  for await (const chunk of client.chunks(keptJob.id)) t.deepEqual(Array.from(chunk.atomSelection ?? []), KEEP)

  // Lossless: the very frames of the reference run, across two segments.
  const exactReference = referenceFrames(exactJob.seed, STEPS, REPORT_EVERY)
  const exactFrames = await collect(client.frames(exactJob.id))
  t.deepEqual(exactFrames.map(f => Array.from(f.positionsNm)), exactReference.map(f => Array.from(f.positionsNm)))

  // .xtc with a topology of the kept atoms, read by mdtraj.
  const xtc = path.join(root, 'kept.xtc')
  const top = path.join(root, 'kept.pdb')
  const fetched = await runCliCommand(t, 'mdswarm', ['fetch', keptJob.id, '-o', xtc, '--topology', top, '--json', ...common])
  t.is(fetched.code, 0, fetched.stderr)
  const source = readPdb(fs.readFileSync(ala2Files.pdb, 'utf8')).topology
  const topology = readPdb(fs.readFileSync(top, 'utf8')).topology
  t.deepEqual(topology.atomNames, KEEP.map(i => source.atomNames[i]))
  if (mdtrajAvailable()) {
    const script = 'import sys, json, mdtraj\nt = mdtraj.load(sys.argv[1], top=sys.argv[2])\nprint(json.dumps({"atoms": t.n_atoms, "xyz": t.xyz.reshape(t.n_frames, -1).tolist()}))'
    const out = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, xtc, top], { encoding: 'utf8' })) as { atoms: number, xyz: number[][] }
    t.is(out.atoms, KEEP.length)
    t.is(out.xyz.length, reference.length)
    const worstMdtraj = Math.max(...out.xyz.map((xyz, i) => worstDifference(xyz, reference[i].positionsNm)))
    t.true(worstMdtraj <= CODEC_TOLERANCE_NM + 1e-6, `mdtraj's frames differ from the reference by up to ${worstMdtraj} nm`)
  } else {
    t.log('mdtraj is not importable with /usr/bin/python3; the XTC was not checked with mdtraj')
  }

  // .mdsw: the stored chunks byte for byte, with the kept atoms' topology and selection.
  const mdsw = path.join(root, 'kept.mdsw')
  const exported = await runCliCommand(t, 'mdswarm', ['fetch', keptJob.id, '-o', mdsw, ...common])
  t.is(exported.code, 0, exported.stderr)
  const contents = readMdsw(new Uint8Array(fs.readFileSync(mdsw)))
  const stored = await collect(client.encodedChunks(keptJob.id))
  t.deepEqual(contents.chunks.map(c => Buffer.from(c).toString('hex')), stored.map(c => Buffer.from(c.data).toString('hex')))
  t.is(contents.metadata.atomCount, KEEP.length)
  t.deepEqual(contents.metadata.atomSelection, KEEP)
})
