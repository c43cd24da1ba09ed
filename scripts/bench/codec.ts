/**
 * Trajectory codec benchmark: bytes per atom per frame of raw float32, DCD
 * (OpenMM's DCDFile), XTC (mdtraj, precision 1000) and mdswarm's codec at the
 * same precision, plus encode/decode speed, on solvated systems simulated by
 * OpenMM 7.7 (CPU platform) in this script (cached under the temp folder).
 *
 *   npx tsx scripts/bench/codec.ts [--quick] [--full] [--chunk-frames 100] [--cache DIR]
 *
 * --quick: fewer frames; --full: also villin with frames every 500 steps (slow to simulate).
 * Speeds are MB/s of raw float32 positions (12 bytes per atom per frame), best of
 * several repetitions, by wall clock and by this process's CPU time (the two
 * differ when other work shares the machine).
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { spawnSync } from 'node:child_process'
import { decodeFrames, encodeFrames } from '../../src/trajectory/index.ts'
import type { Frame } from '../../src/engine/frame.ts'

const repoRoot = path.resolve(import.meta.dirname, '..', '..')
const args = process.argv.slice(2)
const quick = args.includes('--quick')
const full = args.includes('--full')
const chunkArg = args.indexOf('--chunk-frames')
const chunkFrames = chunkArg >= 0 ? Number(args[chunkArg + 1]) : 100
const cacheArg = args.indexOf('--cache')
const cacheRoot = cacheArg >= 0 ? args[cacheArg + 1] : path.join(os.tmpdir(), 'mdswarm-bench-codec')

interface Dataset { name: string, system: string, state: string, pdb: string, integrator?: string, interval: number, frames: number }

const ala2 = { system: 'examples/ala2-tip3p/system.xml', state: 'examples/ala2-tip3p/state.xml', pdb: 'examples/ala2-tip3p/ala2-tip3p.pdb', integrator: 'examples/ala2-tip3p/integrator.xml' }
const villin = { system: 'test/fixtures/villin-rf-cubic/system.xml', state: 'test/fixtures/villin-rf-cubic/state.xml', pdb: 'test/fixtures/villin-rf-cubic/structure.pdb' }
const datasets: Dataset[] = [
  { name: 'ala2-tip3p (2,272 atoms)', ...ala2, interval: 10, frames: quick ? 50 : 200 },
  { name: 'ala2-tip3p (2,272 atoms)', ...ala2, interval: 500, frames: quick ? 20 : 60 },
  { name: 'villin-rf (8,867 atoms)', ...villin, interval: 10, frames: quick ? 20 : 100 }
]
if (full) datasets.push({ name: 'villin-rf (8,867 atoms)', ...villin, interval: 500, frames: 40 })

function generate (d: Dataset): string {
  const key = `${path.basename(path.dirname(d.system))}-every${d.interval}-${d.frames}`
  const dir = path.join(cacheRoot, key)
  if (fs.existsSync(path.join(dir, 'meta.json'))) return dir
  process.stderr.write(`simulating ${d.name}, ${d.frames} frames every ${d.interval} steps with OpenMM (CPU) ...\n`)
  const pyArgs = [path.join(repoRoot, 'scripts/bench/codec_generate.py'), '--system', path.join(repoRoot, d.system), '--state', path.join(repoRoot, d.state),
    '--pdb', path.join(repoRoot, d.pdb), '--interval', String(d.interval), '--frames', String(d.frames), '--out', dir]
  if (d.integrator !== undefined) pyArgs.push('--integrator', path.join(repoRoot, d.integrator))
  const result = spawnSync('/usr/bin/python3', pyArgs, { stdio: ['ignore', 'inherit', 'inherit'] })
  if (result.status !== 0) throw new Error(`OpenMM trajectory generation failed for ${d.name} (exit ${result.status}); is python3-simtk (OpenMM 7.7) installed?`)
  return dir
}

interface Meta { atoms: number, frames: number, interval: number, stepSizePs: number, steps: number[], timesPs: number[], xtcWriteSeconds: number, xtcReadSeconds: number }

function load (dir: string): { meta: Meta, frames: Frame[] } {
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')) as Meta
  const positions = new Float32Array(new Uint8Array(fs.readFileSync(path.join(dir, 'positions.f32'))).buffer)
  const boxes = new Float64Array(new Uint8Array(fs.readFileSync(path.join(dir, 'boxes.f64'))).buffer)
  const stride = 3 * meta.atoms
  const frames = meta.steps.map((step, f): Frame => ({
    step, timePs: meta.timesPs[f], positionsNm: positions.subarray(f * stride, (f + 1) * stride), box: boxes.subarray(9 * f, 9 * f + 9),
    potentialEnergy: 0, kineticEnergy: 0, temperatureK: 0
  }))
  return { meta, frames }
}

function cpuMs (): number { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }

interface Measured { bytes: number, encodeWallMBs: number, decodeWallMBs: number, encodeCpuMBs: number, decodeCpuMBs: number, maxError: number }

function measure (frames: Frame[], options: { precisionNm?: number, lossless?: boolean }, repetitions: number): Measured {
  const groups: Frame[][] = []
  for (let i = 0; i < frames.length; i += chunkFrames) groups.push(frames.slice(i, i + chunkFrames))
  const rawMB = frames.length * frames[0].positionsNm.length * 4 / 1e6
  let encoded: Uint8Array[] = []
  let bestEncodeWall = Infinity; let bestDecodeWall = Infinity; let bestEncodeCpu = Infinity; let bestDecodeCpu = Infinity
  let maxError = 0
  for (let r = 0; r < repetitions; r++) {
    let wall = performance.now(); let cpu = cpuMs()
    encoded = groups.map(g => encodeFrames(g, options))
    bestEncodeWall = Math.min(bestEncodeWall, performance.now() - wall); bestEncodeCpu = Math.min(bestEncodeCpu, cpuMs() - cpu)
    wall = performance.now(); cpu = cpuMs()
    const decoded = encoded.map(bytes => decodeFrames(bytes))
    bestDecodeWall = Math.min(bestDecodeWall, performance.now() - wall); bestDecodeCpu = Math.min(bestDecodeCpu, cpuMs() - cpu)
    if (r === 0) {
      decoded.forEach((chunk, c) => {
        groups[c].forEach((frame, f) => {
          const base = f * frame.positionsNm.length
          for (let i = 0; i < frame.positionsNm.length; i++) maxError = Math.max(maxError, Math.abs(chunk.positionsNm[base + i] - frame.positionsNm[i]))
        })
      })
    }
  }
  return {
    bytes: encoded.reduce((sum, b) => sum + b.length, 0),
    encodeWallMBs: rawMB / bestEncodeWall * 1000,
    decodeWallMBs: rawMB / bestDecodeWall * 1000,
    encodeCpuMBs: rawMB / Math.max(bestEncodeCpu, 1e-3) * 1000,
    decodeCpuMBs: rawMB / Math.max(bestDecodeCpu, 1e-3) * 1000,
    maxError
  }
}

const fmt = (x: number, digits = 3): string => x.toFixed(digits)
const rows: string[] = []
const verdicts: string[] = []
process.stdout.write(`mdswarm trajectory codec benchmark — chunks of ${chunkFrames} frames, load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs\n\n`)
rows.push('| system | frames every | frames | raw f32 | DCD | XTC (mdtraj) | ours 0.001 nm | ours / XTC | ours lossless | max error nm | encode MB/s wall (cpu) | decode MB/s wall (cpu) | mdtraj XTC write / read MB/s |')
rows.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|')
for (const d of datasets) {
  const dir = generate(d)
  const { meta, frames } = load(dir)
  const atomFrames = meta.atoms * meta.frames
  const rawMB = atomFrames * 12 / 1e6
  const dcd = fs.statSync(path.join(dir, 'openmm.dcd')).size / atomFrames
  const xtc = fs.statSync(path.join(dir, 'mdtraj.xtc')).size / atomFrames
  const repetitions = quick ? 4 : 10
  const lossy = measure(frames, { precisionNm: 0.001 }, repetitions)
  const lossless = measure(frames, { lossless: true }, 2)
  const ours = lossy.bytes / atomFrames
  const ratio = ours / xtc
  rows.push(`| ${d.name} | ${d.interval} steps | ${meta.frames} | 12.000 | ${fmt(dcd)} | ${fmt(xtc)} | ${fmt(ours)} | ${fmt(ratio)} | ${fmt(lossless.bytes / atomFrames)} | ${lossy.maxError.toExponential(3)} | ` +
    `${lossy.encodeWallMBs.toFixed(0)} (${lossy.encodeCpuMBs.toFixed(0)}) | ${lossy.decodeWallMBs.toFixed(0)} (${lossy.decodeCpuMBs.toFixed(0)}) | ${(rawMB / meta.xtcWriteSeconds).toFixed(0)} / ${(rawMB / meta.xtcReadSeconds).toFixed(0)} |`)
  const target = d.interval <= 10 ? 0.5 : 0.7
  verdicts.push(`${d.name}, every ${d.interval} steps: size ${fmt(ratio)}× XTC (target ≤ ${target}×: ${ratio <= target ? 'met' : 'NOT met'}); ` +
    `encode ${lossy.encodeWallMBs.toFixed(0)} MB/s wall, ${lossy.encodeCpuMBs.toFixed(0)} cpu (≥ 100: ${lossy.encodeWallMBs >= 100 ? 'met' : lossy.encodeCpuMBs >= 100 ? 'met by CPU time only' : 'NOT met'}); ` +
    `decode ${lossy.decodeWallMBs.toFixed(0)} wall, ${lossy.decodeCpuMBs.toFixed(0)} cpu (≥ 200: ${lossy.decodeWallMBs >= 200 ? 'met' : lossy.decodeCpuMBs >= 200 ? 'met by CPU time only' : 'NOT met'}); ` +
    `error bound ${lossy.maxError <= 0.0005 + 1e-6 ? 'held' : 'BROKEN'}`)
}
process.stdout.write(rows.join('\n') + '\n\nbytes are per atom per frame; "ours" includes headers, box, steps, times and energies of every frame.\n\n')
process.stdout.write(verdicts.map(v => `- ${v}`).join('\n') + '\n')
