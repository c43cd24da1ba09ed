/**
 * Checks that a job's trajectory as the coordinator serves it is complete,
 * in order and without duplicates: its frames are compared with a reference
 * run of the same inputs and seed done here in one piece (the builtin engine
 * is deterministic and resumes bit-exactly from checkpoints, so a swarm run
 * cut into segments, moved between nodes or resent after a crash must give
 * the very same frames). Frames travel as trajectory chunks at the codec's
 * default precision (0.001 nm, as XTC), so positions are compared within
 * half of it (lossless jobs can ask for a tighter tolerance).
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import type { ExecutionContext } from 'ava'
import { Simulation } from '../../../src/engine/simulation.ts'
import type { Frame } from '../../../src/engine/frame.ts'
import { readDcd } from '../../../src/formats/dcd.ts'
import { ala2Inputs } from './inputs.ts'
import { DEFAULT_PRECISION_NM } from '../../../src/trajectory/index.ts'

/** Largest difference from the reference a frame may show, nm: the codec's error bound plus float32 rounding. */
export const CODEC_TOLERANCE_NM = DEFAULT_PRECISION_NM / 2 + 1e-6

/** Positions (nm) of every frame of an uninterrupted local run. */
export function referenceFrames (seed: number, steps: number, reportEvery: number): Array<{ step: number, positionsNm: Float32Array }> {
  const sim = Simulation.fromInputs({ ...ala2Inputs(), seed })
  const frames: Array<{ step: number, positionsNm: Float32Array }> = []
  sim.run({ steps, reportEvery, onFrame: f => { frames.push({ step: f.step, positionsNm: Float32Array.from(f.positionsNm) }) } })
  return frames
}

function maxAbsDifference (a: ArrayLike<number>, b: ArrayLike<number>, scaleB = 1): number {
  let max = a.length === b.length ? 0 : Number.POSITIVE_INFINITY
  for (let i = 0; i < Math.min(a.length, b.length); i++) max = Math.max(max, Math.abs(a[i] - b[i] * scaleB))
  return max
}

/** Frames served by the coordinator: steps R, 2R, …, S exactly once each, in order, equal to the reference. */
export function assertFramesMatchReference (t: ExecutionContext, label: string, frames: readonly Frame[], reference: ReturnType<typeof referenceFrames>, toleranceNm = CODEC_TOLERANCE_NM): void {
  t.deepEqual(frames.map(f => f.step), reference.map(f => f.step), `${label}: frame steps`)
  let worst = 0
  for (let i = 0; i < Math.min(frames.length, reference.length); i++) worst = Math.max(worst, maxAbsDifference(frames[i].positionsNm, reference[i].positionsNm))
  t.true(worst <= toleranceNm, `${label}: frames differ from the reference run by up to ${worst} nm`)
}

/** A fetched DCD holds the reference frames (Å), checked with our reader and, when importable, with mdtraj. */
export function assertDcdMatchesReference (t: ExecutionContext, label: string, dcdPath: string, pdbPath: string, reference: ReturnType<typeof referenceFrames>): void {
  const dcd = readDcd(new Uint8Array(fs.readFileSync(dcdPath)))
  t.is(dcd.frameCount, reference.length, `${label}: DCD frame count`)
  let worst = 0
  for (let i = 0; i < Math.min(dcd.frameCount, reference.length); i++) worst = Math.max(worst, maxAbsDifference(dcd.positionsAngstrom[i], reference[i].positionsNm, 10))
  t.true(worst <= 10 * CODEC_TOLERANCE_NM + 1e-4, `${label}: DCD frames differ from the reference by up to ${worst} Å`)

  if (!mdtrajAvailable()) {
    t.log('mdtraj is not importable with /usr/bin/python3; DCD checked with the builtin reader only')
    return
  }
  const script = 'import sys, json, mdtraj\nt = mdtraj.load_dcd(sys.argv[1], top=sys.argv[2])\nprint(json.dumps({"frames": t.n_frames, "xyz": t.xyz.reshape(t.n_frames, -1).tolist()}))'
  const out = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, dcdPath, pdbPath], { encoding: 'utf8' })) as { frames: number, xyz: number[][] }
  t.is(out.frames, reference.length, `${label}: mdtraj frame count`)
  let worstMdtraj = 0
  for (let i = 0; i < Math.min(out.frames, reference.length); i++) worstMdtraj = Math.max(worstMdtraj, maxAbsDifference(out.xyz[i], reference[i].positionsNm))
  t.true(worstMdtraj <= CODEC_TOLERANCE_NM + 1e-5, `${label}: mdtraj frames differ from the reference by up to ${worstMdtraj} nm`)
}

let mdtrajChecked: boolean | undefined
export function mdtrajAvailable (): boolean {
  if (mdtrajChecked === undefined) {
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import mdtraj'], { stdio: 'ignore' })
      mdtrajChecked = true
    } catch {
      mdtrajChecked = false
    }
  }
  return mdtrajChecked
}

export async function collect<T> (iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}
