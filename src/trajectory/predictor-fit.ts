/**
 * Per-chunk fit of the temporal linear predictor of lattice atoms
 *   q̂_t = q_{t-1} + floor((c1 (q_{t-1} − q_{t-2}) + c2 (q_{t-2} − q_{t-3}) + 128) / 256)
 * by least squares, one (c1, c2) pair per atom class (0: other atoms,
 * 1: rigid-triplet heads), each kept only when it beats the plain temporal
 * delta (c1 = c2 = 0) in summed absolute residual over the chunk. Large
 * chunks are fitted on every SAMPLE_STEP-th atom (the coefficients are four
 * numbers; a quarter of the atoms of a big system pins them as well as all).
 */

export const LPC_SCALE = 256
/** 1/256, exact: multiplying by it equals dividing by LPC_SCALE. */
export const LPC_INVERSE = 1 / LPC_SCALE
const LPC_LIMIT = 2 * LPC_SCALE
/** Atom stride of the fit in large chunks: coprime with 3, so every member of a water triplet is reached. */
const SAMPLE_STEP = 4
/** Lattice values (frames × atoms × 3) above which the fit samples atoms. */
const SAMPLE_ABOVE_VALUES = 1 << 18

/**
 * floor((c1 d1 + c2 d2 + 128) / 256), the predictor's correction: in int32
 * arithmetic when the differences are small enough for it to be exact
 * (|d| < 2^20, |c| ≤ 512: always, in practice), else in float64. Both
 * give the same value, so encoder and decoder agree whichever they take.
 */
export function lpcCorrection (c1: number, d1: number, c2: number, d2: number): number {
  if ((((d1 + 0x100000) | (d2 + 0x100000)) & ~0x1fffff) === 0) return (c1 * d1 + c2 * d2 + 128) >> 8
  return Math.floor((c1 * d1 + c2 * d2 + 128) * LPC_INVERSE)
}

function clampCoefficient (c: number): number {
  return Number.isFinite(c) ? Math.max(-LPC_LIMIT, Math.min(LPC_LIMIT, Math.round(c * LPC_SCALE))) : 0
}

/**
 * Fits coefficients into out = [other c1, other c2, head c1, head c2] (× 256)
 * from lattice values `q` (frameCount × atomCount × 3) and atom kinds
 * (0 other, 1 triplet head, larger: not on the lattice, skipped).
 */
export function fitCoefficients (q: Int32Array, kinds: Uint8Array, atomCount: number, frameCount: number, out: Int16Array): void {
  out.fill(0)
  if (frameCount < 3) return
  const stride = 3 * atomCount
  const atomStep = frameCount * stride > SAMPLE_ABOVE_VALUES ? SAMPLE_STEP : 1
  // Normal equations per class, in locals (no typed-array traffic in the loop).
  let a11 = 0; let a12 = 0; let a22 = 0; let a1y = 0; let a2y = 0
  let b11 = 0; let b12 = 0; let b22 = 0; let b1y = 0; let b2y = 0
  for (let f = 2; f < frameCount; f++) {
    const base = f * stride
    const third = f >= 3
    for (let a = 0; a < atomCount; a += atomStep) {
      const cls = kinds[a]
      if (cls > 1) continue
      let s11 = 0; let s12 = 0; let s22 = 0; let s1y = 0; let s2y = 0
      for (let j = base + 3 * a, end = j + 3; j < end; j++) {
        const y = (q[j] - q[j - stride]) | 0
        const d1 = (q[j - stride] - q[j - 2 * stride]) | 0
        const d2 = third ? (q[j - 2 * stride] - q[j - 3 * stride]) | 0 : 0
        s11 += d1 * d1; s12 += d1 * d2; s22 += d2 * d2; s1y += d1 * y; s2y += d2 * y
      }
      if (cls === 0) { a11 += s11; a12 += s12; a22 += s22; a1y += s1y; a2y += s2y } else { b11 += s11; b12 += s12; b22 += s22; b1y += s1y; b2y += s2y }
    }
  }
  solve(a11, a12, a22, a1y, a2y, out, 0)
  solve(b11, b12, b22, b1y, b2y, out, 2)
  // Keep each fit only if it beats the plain temporal delta in absolute residual.
  const o1 = out[0]; const o2 = out[1]; const h1 = out[2]; const h2 = out[3]
  let otherFit = 0; let otherDelta = 0; let headFit = 0; let headDelta = 0
  for (let f = 2; f < frameCount; f++) {
    const base = f * stride
    const third = f >= 3
    for (let a = 0; a < atomCount; a += atomStep) {
      const cls = kinds[a]
      if (cls > 1) continue
      const i1 = cls === 0 ? o1 : h1
      const i2 = cls === 0 ? o2 : h2
      let fit = 0; let delta = 0
      for (let j = base + 3 * a, end = j + 3; j < end; j++) {
        const x1 = q[j - stride]
        const d1 = (x1 - q[j - 2 * stride]) | 0
        const d2 = third ? (q[j - 2 * stride] - q[j - 3 * stride]) | 0 : 0
        const e = (q[j] - ((x1 + Math.floor((i1 * d1 + i2 * d2 + 128) * LPC_INVERSE)) | 0)) | 0
        const g = (q[j] - x1) | 0
        fit += e < 0 ? -e : e
        delta += g < 0 ? -g : g
      }
      if (cls === 0) { otherFit += fit; otherDelta += delta } else { headFit += fit; headDelta += delta }
    }
  }
  if (!(otherFit < otherDelta)) { out[0] = 0; out[1] = 0 }
  if (!(headFit < headDelta)) { out[2] = 0; out[3] = 0 }
}

function solve (s11: number, s12: number, s22: number, s1y: number, s2y: number, out: Int16Array, at: number): void {
  let c1 = 0; let c2 = 0
  const det = s11 * s22 - s12 * s12
  if (det > 1e-9 * (s11 * s22 + 1)) { c1 = (s1y * s22 - s2y * s12) / det; c2 = (s2y * s11 - s1y * s12) / det } else if (s11 > 0) { c1 = s1y / s11 }
  out[at] = clampCoefficient(c1)
  out[at + 1] = clampCoefficient(c2)
}
