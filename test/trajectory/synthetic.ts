/**
 * Small synthetic trajectories for codec tests: a chain of flexible atoms
 * followed by rigid TIP3P-like waters (O-H 0.09572 nm, H-O-H 104.52°),
 * moving by seeded random steps. Not physics: only the statistics the codec
 * relies on (neighbouring atoms close, frames correlated, waters rigid).
 */
import type { Frame } from '../../src/engine/frame.ts'

export function seededRandom (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface SyntheticOptions {
  chainAtoms?: number
  waters?: number
  frames?: number
  /** Random step per frame, nm. */
  stepNm?: number
  /** Added to every coordinate, nm. */
  offsetNm?: number
  boxNm?: number | null
  seed?: number
  firstStep?: number
  stepsPerFrame?: number
}

const OH = 0.09572
const HOH = 104.52 * Math.PI / 180

export function syntheticFrames (options: SyntheticOptions = {}): Frame[] {
  const chain = options.chainAtoms ?? 20
  const waters = options.waters ?? 30
  const frameCount = options.frames ?? 10
  const step = options.stepNm ?? 0.01
  const offset = options.offsetNm ?? 0
  const boxNm = options.boxNm === undefined ? 3 : options.boxNm
  const random = seededRandom(options.seed ?? 1)
  const gauss = (): number => Math.sqrt(-2 * Math.log(random() + 1e-300)) * Math.cos(2 * Math.PI * random())
  const atomCount = chain + 3 * waters
  const chainPos = new Float64Array(3 * chain)
  for (let i = 0; i < chain; i++) for (let k = 0; k < 3; k++) chainPos[3 * i + k] = (i > 0 ? chainPos[3 * (i - 1) + k] : 1) + 0.15 * (random() - 0.5)
  const centers = new Float64Array(3 * waters)
  const us = new Float64Array(3 * waters)
  const ws = new Float64Array(3 * waters)
  const normalize = (v: Float64Array, i: number): void => { const n = Math.hypot(v[3 * i], v[3 * i + 1], v[3 * i + 2]); for (let k = 0; k < 3; k++) v[3 * i + k] /= n }
  const orthonormalize = (i: number): void => {
    normalize(us, i)
    const d = us[3 * i] * ws[3 * i] + us[3 * i + 1] * ws[3 * i + 1] + us[3 * i + 2] * ws[3 * i + 2]
    for (let k = 0; k < 3; k++) ws[3 * i + k] -= d * us[3 * i + k]
    normalize(ws, i)
  }
  for (let i = 0; i < waters; i++) {
    for (let k = 0; k < 3; k++) { centers[3 * i + k] = 3 * random(); us[3 * i + k] = gauss(); ws[3 * i + k] = gauss() }
    orthonormalize(i)
  }
  const frames: Frame[] = []
  const box = boxNm === null ? null : new Float64Array([boxNm, 0, 0, 0, boxNm, 0, 0, 0, boxNm])
  for (let f = 0; f < frameCount; f++) {
    if (f > 0) {
      for (let i = 0; i < chainPos.length; i++) chainPos[i] += step * gauss()
      for (let i = 0; i < waters; i++) {
        for (let k = 0; k < 3; k++) { centers[3 * i + k] += step * gauss(); us[3 * i + k] += 3 * step * gauss(); ws[3 * i + k] += 3 * step * gauss() }
        orthonormalize(i)
      }
    }
    const positions = new Float32Array(3 * atomCount)
    for (let i = 0; i < 3 * chain; i++) positions[i] = chainPos[i] + offset
    for (let i = 0; i < waters; i++) {
      const base = 3 * (chain + 3 * i)
      for (let k = 0; k < 3; k++) {
        const o = centers[3 * i + k]
        positions[base + k] = o + offset
        positions[base + 3 + k] = o + OH * us[3 * i + k] + offset
        positions[base + 6 + k] = o + OH * (Math.cos(HOH) * us[3 * i + k] + Math.sin(HOH) * ws[3 * i + k]) + offset
      }
    }
    const stepNumber = (options.firstStep ?? 100) + f * (options.stepsPerFrame ?? 10)
    frames.push({ step: stepNumber, timePs: stepNumber * 0.002, positionsNm: positions, box, potentialEnergy: -1234.5 + f, kineticEnergy: 456.25 - f, temperatureK: 300 + 0.1 * f })
  }
  return frames
}

/** Largest |a − b| over two equally long arrays. */
export function maxAbsDifference (a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]))
  return max
}

/** Largest error allowed at `precisionNm` for coordinates up to |x| (half the precision plus float32 rounding). */
export function errorBound (precisionNm: number, maxAbsCoordinate: number): number {
  return precisionNm / 2 * (1 + 1e-9) + maxAbsCoordinate * 2 ** -23
}
