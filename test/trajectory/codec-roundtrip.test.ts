import test from 'ava'
import { chunkFrames, decodeFrames, dropLeadingFrames, encodeFrames } from '../../src/trajectory/index.ts'
import type { Frame } from '../../src/engine/frame.ts'
import { errorBound, maxAbsDifference, syntheticFrames } from './synthetic.ts'

function concatPositions (frames: Frame[]): Float32Array {
  const stride = frames[0].positionsNm.length
  const out = new Float32Array(frames.length * stride)
  frames.forEach((f, i) => out.set(f.positionsNm, i * stride))
  return out
}

function maxAbs (values: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]))
  return m
}

for (const precisionNm of [0.001, 0.0001, 0.01]) {
  test(`lossy round trip keeps every coordinate within half of ${precisionNm} nm`, t => {
    const frames = syntheticFrames({ frames: 12, seed: 7 })
    const bytes = encodeFrames(frames, { precisionNm })
    const chunk = decodeFrames(bytes)
    const original = concatPositions(frames)
    t.is(chunk.frameCount, 12)
    t.is(chunk.atomCount, frames[0].positionsNm.length / 3)
    t.is(chunk.precisionNm, precisionNm)
    t.false(chunk.lossless)
    t.true(maxAbsDifference(chunk.positionsNm, original) <= errorBound(precisionNm, maxAbs(original)))
    t.true(bytes.length < original.byteLength / 2, `compressed ${bytes.length} of ${original.byteLength} bytes`)
  })
}

test('lossless mode is bit-exact', t => {
  const frames = syntheticFrames({ frames: 8, seed: 3, offsetNm: -1.5 })
  frames[2].positionsNm[5] = -0
  frames[3].positionsNm[7] = 1e-30
  const chunk = decodeFrames(encodeFrames(frames, { lossless: true }))
  t.true(chunk.lossless)
  t.is(chunk.precisionNm, 0)
  const original = concatPositions(frames)
  t.deepEqual(new Uint32Array(chunk.positionsNm.buffer), new Uint32Array(original.buffer))
})

test('box, steps, times and energies travel with the frames', t => {
  const frames = syntheticFrames({ frames: 5, seed: 11 }).map((f, i) => ({ ...f, step: [10, 20, 35, 40, 1000][i], timePs: [0.02, 0.04, 0.07, 0.08, 2][i], box: new Float64Array([3 + i * 0.01, 0, 0, 0.1, 3, 0, 0.2, -0.3, 3.1]) }))
  const chunk = decodeFrames(encodeFrames(frames))
  const back = chunkFrames(chunk)
  t.deepEqual(back.map(f => f.step), [10, 20, 35, 40, 1000])
  t.deepEqual(back.map(f => f.timePs), [0.02, 0.04, 0.07, 0.08, 2])
  t.deepEqual(back.map(f => f.potentialEnergy), frames.map(f => f.potentialEnergy))
  t.deepEqual(back.map(f => f.kineticEnergy), frames.map(f => f.kineticEnergy))
  t.deepEqual(back.map(f => f.temperatureK), frames.map(f => f.temperatureK))
  t.deepEqual(back.map(f => Array.from(f.box ?? [])), frames.map(f => Array.from(f.box)))
  t.is(chunk.firstStep, 10)
  t.is(chunk.lastStep, 1000)
})

test('frames without a box decode with box null; a constant box is kept', t => {
  const noBox = decodeFrames(encodeFrames(syntheticFrames({ frames: 3, boxNm: null })))
  t.is(noBox.boxes, null)
  t.is(chunkFrames(noBox)[0].box, null)
  const constant = decodeFrames(encodeFrames(syntheticFrames({ frames: 3, boxNm: 4.5 })))
  t.deepEqual(Array.from(chunkFrames(constant)[2].box ?? []), [4.5, 0, 0, 0, 4.5, 0, 0, 0, 4.5])
})

test('an atom selection keeps only those atoms, in order, and is recorded', t => {
  const frames = syntheticFrames({ frames: 4, chainAtoms: 10, waters: 5 })
  const selection = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 12])
  const chunk = decodeFrames(encodeFrames(frames, { atomSelection: selection }))
  t.is(chunk.atomCount, 12)
  t.is(chunk.sourceAtomCount, 25)
  t.deepEqual(Array.from(chunk.atomSelection ?? []), Array.from(selection))
  for (let f = 0; f < 4; f++) {
    for (let i = 0; i < selection.length; i++) {
      for (let k = 0; k < 3; k++) t.true(Math.abs(chunk.positionsNm[f * 36 + 3 * i + k] - frames[f].positionsNm[3 * selection[i] + k]) <= errorBound(0.001, 10))
    }
  }
})

test('extreme inputs: one atom, one frame, large boxes, far from the origin', t => {
  const one = [{ step: 0, timePs: 0, positionsNm: Float32Array.from([1.2345, -2.5, 1000]), box: null, potentialEnergy: 0, kineticEnergy: 0, temperatureK: 0 }]
  const oneBack = decodeFrames(encodeFrames(one))
  t.true(maxAbsDifference(oneBack.positionsNm, one[0].positionsNm) <= errorBound(0.001, 1000))
  t.deepEqual(Array.from(decodeFrames(encodeFrames(one, { lossless: true })).positionsNm), Array.from(one[0].positionsNm))

  const single = syntheticFrames({ frames: 1 })
  t.true(maxAbsDifference(decodeFrames(encodeFrames(single)).positionsNm, single[0].positionsNm) <= errorBound(0.001, 10))

  for (const offsetNm of [-50_000, 123_456.7, 1e6]) {
    const far = syntheticFrames({ frames: 6, offsetNm, boxNm: 2e6, seed: 5 })
    const original = concatPositions(far)
    const back = decodeFrames(encodeFrames(far))
    t.true(maxAbsDifference(back.positionsNm, original) <= errorBound(0.001, maxAbs(original)), `offset ${offsetNm}`)
    t.deepEqual(new Uint32Array(decodeFrames(encodeFrames(far, { lossless: true })).positionsNm.buffer), new Uint32Array(original.buffer))
  }
})

test('wildly jumping coordinates (no temporal correlation) still round-trip', t => {
  const frames = syntheticFrames({ frames: 5, stepNm: 5, seed: 9 })
  const original = concatPositions(frames)
  t.true(maxAbsDifference(decodeFrames(encodeFrames(frames)).positionsNm, original) <= errorBound(0.001, maxAbs(original)))
})

test('rigid waters compress far better than independent atoms', t => {
  const frames = syntheticFrames({ frames: 20, chainAtoms: 0, waters: 200, stepNm: 0.005 })
  const bytes = encodeFrames(frames)
  const perAtomFrame = bytes.length / (20 * 600)
  t.true(perAtomFrame < 2.5, `${perAtomFrame} bytes per atom per frame`)
})

test('dropLeadingFrames keeps the later frames exactly as decoded, with selection and scalars', t => {
  const frames = syntheticFrames({ frames: 7, chainAtoms: 8, waters: 6, seed: 31 })
  const selection = Int32Array.from({ length: 20 }, (_, i) => i + 2)
  const bytes = encodeFrames(frames, { atomSelection: selection })
  const whole = decodeFrames(bytes)
  const rest = decodeFrames(dropLeadingFrames(bytes, 3))
  t.is(rest.frameCount, 4)
  t.is(rest.firstStep, frames[3].step)
  t.deepEqual(Array.from(rest.atomSelection ?? []), Array.from(selection))
  t.is(rest.sourceAtomCount, whole.sourceAtomCount)
  t.deepEqual(Array.from(rest.positionsNm), Array.from(whole.positionsNm.subarray(3 * 20 * 3)))
  t.deepEqual(Array.from(rest.potentialEnergies), Array.from(whole.potentialEnergies.subarray(3)))
  t.deepEqual(Array.from(rest.boxes ?? []), Array.from(whole.boxes?.subarray(27) ?? []))
  t.is(t.throws(() => dropLeadingFrames(bytes, 7))?.name, 'InvalidFramesError')
})

test('noise-like coordinates fall back to plain float32 and never grow much past raw size', t => {
  let seed = 12345
  const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
  const frames = Array.from({ length: 3 }, (_, f) => ({
    step: f, timePs: f, box: null, potentialEnergy: 0, kineticEnergy: 0, temperatureK: 0,
    positionsNm: Float32Array.from({ length: 300 }, () => (random() - 0.5) * 10 ** (Math.floor(random() * 12) - 6))
  }))
  const bytes = encodeFrames(frames, { lossless: true })
  t.true(bytes.length <= 3 * 300 * 4 + 200, `${bytes.length} bytes`)
  const back = decodeFrames(bytes)
  frames.forEach((f, i) => t.deepEqual(Array.from(back.positionsNm.subarray(300 * i, 300 * (i + 1))), Array.from(f.positionsNm)))
})

/**
 * Rigid waters of two geometries in runs split by ions, turned half a turn
 * between frames (so the signs folded into their residuals are 1 as often
 * as 0), with some frames' rotations tiny and others large.
 */
function flippingWaterFrames (frameCount: number): Frame[] {
  const geometries = [{ oh: 0.09572, angle: 104.52 }, { oh: 0.1, angle: 109.47 }]
  const molecules: Array<{ center: number[], u: number[], w: number[], geometry: number } | { ion: number[] }> = []
  let seed = 99
  const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
  const unit = (): number[] => { const v = [random() - 0.5, random() - 0.5, random() - 0.5]; const n = Math.hypot(...v); return v.map(x => x / n) }
  for (let i = 0; i < 24; i++) {
    if (i % 5 === 4) molecules.push({ ion: [3 * random(), 3 * random(), 3 * random()] })
    const u = unit(); const v = unit(); const d = u[0] * v[0] + u[1] * v[1] + u[2] * v[2]
    const w = v.map((x, k) => x - d * u[k]); const n = Math.hypot(...w)
    molecules.push({ center: [3 * random(), 3 * random(), 3 * random()], u, w: w.map(x => x / n), geometry: i < 12 ? 0 : 1 })
  }
  const atomCount = molecules.reduce((sum, m) => sum + ('ion' in m ? 1 : 3), 0)
  return Array.from({ length: frameCount }, (_, f) => {
    const positions = new Float32Array(3 * atomCount)
    let at = 0
    for (const m of molecules) {
      if ('ion' in m) { for (let k = 0; k < 3; k++) positions[at++] = m.ion[k] + 0.01 * f; continue }
      const { oh, angle } = geometries[m.geometry]
      const flip = f % 2 === 0 ? 1 : -1
      const cos = Math.cos(angle * Math.PI / 180); const sin = Math.sin(angle * Math.PI / 180)
      for (let k = 0; k < 3; k++) positions[at + k] = m.center[k] + 0.003 * f
      for (let k = 0; k < 3; k++) positions[at + 3 + k] = positions[at + k] + flip * oh * m.u[k]
      for (let k = 0; k < 3; k++) positions[at + 6 + k] = positions[at + k] + flip * oh * (cos * m.u[k] + sin * m.w[k])
      at += 9
    }
    return { step: 10 * (f + 1), timePs: 0.02 * (f + 1), positionsNm: positions, box: null, potentialEnergy: 0, kineticEnergy: 0, temperatureK: 0 }
  })
}

for (const precisionNm of [0.001, 0.0001]) {
  test(`rigid waters that turn over between frames, in runs split by ions, round-trip within half of ${precisionNm} nm`, t => {
    const frames = flippingWaterFrames(9)
    const original = concatPositions(frames)
    const bytes = encodeFrames(frames, { precisionNm })
    t.true(maxAbsDifference(decodeFrames(bytes).positionsNm, original) <= errorBound(precisionNm, maxAbs(original)))
    // The same molecules without turning over cost fewer bytes only through the signs: both stay small.
    t.true(bytes.length < original.byteLength / 3, `${bytes.length} of ${original.byteLength} bytes`)
  })
}
