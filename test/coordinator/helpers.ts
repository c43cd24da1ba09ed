/** Shared pieces of the coordinator tests: frames, capabilities, payloads. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Frame } from '../../src/engine/frame.ts'
import type { Capabilities } from '../../src/wire/messages.ts'
import { encodeFrames } from '../../src/trajectory/index.ts'

export const repoRoot = path.resolve(new URL('../..', import.meta.url).pathname)

export function tempDir (label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `mdswarm-${label}-`))
}

/** Frames i..i+count-1 of a job with `atoms` atoms reporting every `reportEvery` steps. */
export function framesOf (firstFrame: number, count: number, atoms: number, reportEvery: number): Frame[] {
  const frames: Frame[] = []
  for (let k = 0; k < count; k++) {
    const index = firstFrame + k
    const positionsNm = new Float32Array(3 * atoms)
    for (let i = 0; i < positionsNm.length; i++) positionsNm[i] = index + i * 0.001
    frames.push({ step: (index + 1) * reportEvery, timePs: (index + 1) * reportEvery * 0.002, positionsNm, box: null, potentialEnergy: -index, kineticEnergy: index, temperatureK: 300 })
  }
  return frames
}

export function chunkOf (firstFrame: number, count: number, atoms: number, reportEvery: number): Uint8Array {
  return encodeFrames(framesOf(firstFrame, count, atoms, reportEvery), { lossless: true })
}

export const BUILTIN_FORCES = ['HarmonicBondForce', 'HarmonicAngleForce', 'PeriodicTorsionForce', 'NonbondedForce', 'CMMotionRemover']

export function cpuNode (forceTypes: string[] = BUILTIN_FORCES): Capabilities {
  return {
    engines: { builtin: { version: '0.1.0', platforms: ['CPU'], forceTypes } },
    concurrency: 2,
    cpuCores: 2,
    memoryBytes: 4 * 2 ** 30,
    gpus: [],
  }
}

export function cudaNode (): Capabilities {
  return {
    engines: { openmm: { version: '7.7', platforms: ['CUDA', 'CPU', 'Reference'], forceTypes: [...BUILTIN_FORCES, 'CMAPTorsionForce'] } },
    concurrency: 1,
    cpuCores: 8,
    memoryBytes: 16 * 2 ** 30,
    gpus: [{ name: 'NVIDIA H100', memoryBytes: 80 * 2 ** 30, driver: '550' }],
  }
}
