/**
 * Mixed-radix complex FFT of any length (Stockham autosort, decimation in
 * frequency), on split real/imaginary Float64Arrays, batched: one call
 * transforms `batch` interleaved sequences at once, element p of sequence q
 * at index q + batch * p. That is exactly the layout of the columns of a
 * row-major 3D grid, so a whole grid axis is one call with no gathering.
 *
 * Radices 4, 2, 3 and 5 have hand-written butterflies; any other prime
 * factor (e.g. 7, 11, 13: OpenMM's Reference platform does not round PME
 * grids to FFT-friendly sizes) uses a generic O(p^2) butterfly.
 *
 * Unnormalized in both directions: forward(x) then inverse gives n x.
 * Sign convention: forward uses exp(-2 pi i jk/n).
 *
 * @example
 * const fft = new ComplexFft(26)
 * fft.transform(re, im, 1, -1)   // forward, one sequence
 */

/** Radices in the order they are taken from n. */
const PREFERRED_RADICES = [4, 2, 3, 5]

/** Factors of n: 4s first, then 2, 3, 5, then the remaining primes ascending. */
export function factorize (n: number): number[] {
  const factors: number[] = []
  let rest = n
  for (const radix of PREFERRED_RADICES) {
    while (rest % radix === 0) { factors.push(radix); rest /= radix }
  }
  for (let p = 7; p * p <= rest; p += 2) {
    while (rest % p === 0) { factors.push(p); rest /= p }
  }
  if (rest > 1) factors.push(rest)
  return factors
}

interface Stage {
  radix: number
  /** Length of the sub-transforms this stage splits (n / product of earlier radices). */
  length: number
  /** m = length / radix */
  m: number
  /** Twiddles w^(p u) for p < m, u < radix, w = exp(-2 pi i / length): index p * radix + u. */
  twiddleRe: Float64Array
  twiddleIm: Float64Array
}

export class ComplexFft {
  readonly n: number
  private readonly stages: Stage[]
  /** Roots of unity for the generic butterflies, by radix: cos/sin(2 pi k / radix). */
  private readonly rootsCos = new Map<number, Float64Array>()
  private readonly rootsSin = new Map<number, Float64Array>()
  private scratchRe = new Float64Array(0)
  private scratchIm = new Float64Array(0)
  private readonly sumRe: Float64Array
  private readonly sumIm: Float64Array
  private readonly inRe: Float64Array
  private readonly inIm: Float64Array

  constructor (n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`FFT length must be a positive integer, got ${n}`)
    this.n = n
    this.stages = []
    let length = n
    let largest = 1
    for (const radix of factorize(n)) {
      const m = length / radix
      const twiddleRe = new Float64Array(m * radix)
      const twiddleIm = new Float64Array(m * radix)
      for (let p = 0; p < m; p++) {
        for (let u = 0; u < radix; u++) {
          const angle = -2 * Math.PI * p * u / length
          twiddleRe[p * radix + u] = Math.cos(angle)
          twiddleIm[p * radix + u] = Math.sin(angle)
        }
      }
      this.stages.push({ radix, length, m, twiddleRe, twiddleIm })
      if (!this.rootsCos.has(radix)) {
        const c = new Float64Array(radix)
        const s = new Float64Array(radix)
        for (let k = 0; k < radix; k++) { c[k] = Math.cos(2 * Math.PI * k / radix); s[k] = Math.sin(2 * Math.PI * k / radix) }
        this.rootsCos.set(radix, c)
        this.rootsSin.set(radix, s)
      }
      largest = Math.max(largest, radix)
      length = m
    }
    this.sumRe = new Float64Array(largest)
    this.sumIm = new Float64Array(largest)
    this.inRe = new Float64Array(largest)
    this.inIm = new Float64Array(largest)
  }

  /**
   * In-place transform of `batch` interleaved sequences stored from `offset`:
   * element p of sequence q is at offset + q + batch * p. `sign` -1 forward,
   * +1 inverse (unnormalized).
   */
  transform (re: Float64Array, im: Float64Array, batch: number, sign: -1 | 1, offset = 0): void {
    const total = this.n * batch
    if (this.scratchRe.length < total) {
      this.scratchRe = new Float64Array(total)
      this.scratchIm = new Float64Array(total)
    }
    let srcRe: Float64Array = offset === 0 ? re : re.subarray(offset, offset + total)
    let srcIm: Float64Array = offset === 0 ? im : im.subarray(offset, offset + total)
    const homeRe = srcRe
    const homeIm = srcIm
    let dstRe: Float64Array = this.scratchRe
    let dstIm: Float64Array = this.scratchIm
    let stride = batch
    for (const stage of this.stages) {
      this.runStage(stage, srcRe, srcIm, dstRe, dstIm, stride, sign)
      const tRe = srcRe; srcRe = dstRe; dstRe = tRe
      const tIm = srcIm; srcIm = dstIm; dstIm = tIm
      stride *= stage.radix
    }
    if (srcRe !== homeRe) {
      homeRe.set(srcRe.subarray(0, total))
      homeIm.set(srcIm.subarray(0, total))
    }
  }

  private runStage (stage: Stage, xRe: Float64Array, xIm: Float64Array, yRe: Float64Array, yIm: Float64Array,
    s: number, sign: number): void {
    const { radix, m, twiddleRe, twiddleIm } = stage
    const tw = twiddleIm
    const sm = s * m
    if (radix === 2) {
      for (let p = 0; p < m; p++) {
        const w1r = twiddleRe[2 * p + 1]; const w1i = sign < 0 ? tw[2 * p + 1] : -tw[2 * p + 1]
        const a0 = s * p; const a1 = a0 + sm
        const y0 = s * 2 * p; const y1 = y0 + s
        for (let q = 0; q < s; q++) {
          const ar = xRe[a0 + q]; const ai = xIm[a0 + q]
          const br = xRe[a1 + q]; const bi = xIm[a1 + q]
          yRe[y0 + q] = ar + br; yIm[y0 + q] = ai + bi
          const dr = ar - br; const di = ai - bi
          yRe[y1 + q] = dr * w1r - di * w1i; yIm[y1 + q] = dr * w1i + di * w1r
        }
      }
    } else if (radix === 4) {
      for (let p = 0; p < m; p++) {
        const k = 4 * p
        const w1r = twiddleRe[k + 1]; const w1i = sign < 0 ? tw[k + 1] : -tw[k + 1]
        const w2r = twiddleRe[k + 2]; const w2i = sign < 0 ? tw[k + 2] : -tw[k + 2]
        const w3r = twiddleRe[k + 3]; const w3i = sign < 0 ? tw[k + 3] : -tw[k + 3]
        const a0 = s * p; const a1 = a0 + sm; const a2 = a1 + sm; const a3 = a2 + sm
        const y0 = s * 4 * p; const y1 = y0 + s; const y2 = y1 + s; const y3 = y2 + s
        for (let q = 0; q < s; q++) {
          const x0r = xRe[a0 + q]; const x0i = xIm[a0 + q]
          const x1r = xRe[a1 + q]; const x1i = xIm[a1 + q]
          const x2r = xRe[a2 + q]; const x2i = xIm[a2 + q]
          const x3r = xRe[a3 + q]; const x3i = xIm[a3 + q]
          const s02r = x0r + x2r; const s02i = x0i + x2i
          const d02r = x0r - x2r; const d02i = x0i - x2i
          const s13r = x1r + x3r; const s13i = x1i + x3i
          // (x1 - x3) times -i (forward) or +i (inverse)
          const d13r = sign < 0 ? x1i - x3i : x3i - x1i
          const d13i = sign < 0 ? x3r - x1r : x1r - x3r
          yRe[y0 + q] = s02r + s13r; yIm[y0 + q] = s02i + s13i
          const b1r = d02r + d13r; const b1i = d02i + d13i
          yRe[y1 + q] = b1r * w1r - b1i * w1i; yIm[y1 + q] = b1r * w1i + b1i * w1r
          const b2r = s02r - s13r; const b2i = s02i - s13i
          yRe[y2 + q] = b2r * w2r - b2i * w2i; yIm[y2 + q] = b2r * w2i + b2i * w2r
          const b3r = d02r - d13r; const b3i = d02i - d13i
          yRe[y3 + q] = b3r * w3r - b3i * w3i; yIm[y3 + q] = b3r * w3i + b3i * w3r
        }
      }
    } else if (radix === 3) {
      const c1 = -0.5
      const s1 = (sign < 0 ? -1 : 1) * Math.sqrt(3) / 2
      for (let p = 0; p < m; p++) {
        const k = 3 * p
        const w1r = twiddleRe[k + 1]; const w1i = sign < 0 ? tw[k + 1] : -tw[k + 1]
        const w2r = twiddleRe[k + 2]; const w2i = sign < 0 ? tw[k + 2] : -tw[k + 2]
        const a0 = s * p; const a1 = a0 + sm; const a2 = a1 + sm
        const y0 = s * 3 * p; const y1 = y0 + s; const y2 = y1 + s
        for (let q = 0; q < s; q++) {
          const x0r = xRe[a0 + q]; const x0i = xIm[a0 + q]
          const x1r = xRe[a1 + q]; const x1i = xIm[a1 + q]
          const x2r = xRe[a2 + q]; const x2i = xIm[a2 + q]
          const tr = x1r + x2r; const ti = x1i + x2i
          const mr = x0r + c1 * tr; const mi = x0i + c1 * ti
          // s1 * (x1 - x2) times i
          const nr = -s1 * (x1i - x2i); const ni = s1 * (x1r - x2r)
          yRe[y0 + q] = x0r + tr; yIm[y0 + q] = x0i + ti
          const b1r = mr + nr; const b1i = mi + ni
          yRe[y1 + q] = b1r * w1r - b1i * w1i; yIm[y1 + q] = b1r * w1i + b1i * w1r
          const b2r = mr - nr; const b2i = mi - ni
          yRe[y2 + q] = b2r * w2r - b2i * w2i; yIm[y2 + q] = b2r * w2i + b2i * w2r
        }
      }
    } else if (radix === 5) {
      const c1 = Math.cos(2 * Math.PI / 5); const c2 = Math.cos(4 * Math.PI / 5)
      const sg = sign < 0 ? -1 : 1
      const s1 = sg * Math.sin(2 * Math.PI / 5); const s2 = sg * Math.sin(4 * Math.PI / 5)
      for (let p = 0; p < m; p++) {
        const k = 5 * p
        const w1r = twiddleRe[k + 1]; const w1i = sign < 0 ? tw[k + 1] : -tw[k + 1]
        const w2r = twiddleRe[k + 2]; const w2i = sign < 0 ? tw[k + 2] : -tw[k + 2]
        const w3r = twiddleRe[k + 3]; const w3i = sign < 0 ? tw[k + 3] : -tw[k + 3]
        const w4r = twiddleRe[k + 4]; const w4i = sign < 0 ? tw[k + 4] : -tw[k + 4]
        const a0 = s * p; const a1 = a0 + sm; const a2 = a1 + sm; const a3 = a2 + sm; const a4 = a3 + sm
        const y0 = s * 5 * p; const y1 = y0 + s; const y2 = y1 + s; const y3 = y2 + s; const y4 = y3 + s
        for (let q = 0; q < s; q++) {
          const x0r = xRe[a0 + q]; const x0i = xIm[a0 + q]
          const x1r = xRe[a1 + q]; const x1i = xIm[a1 + q]
          const x2r = xRe[a2 + q]; const x2i = xIm[a2 + q]
          const x3r = xRe[a3 + q]; const x3i = xIm[a3 + q]
          const x4r = xRe[a4 + q]; const x4i = xIm[a4 + q]
          const t1r = x1r + x4r; const t1i = x1i + x4i
          const t2r = x2r + x3r; const t2i = x2i + x3i
          const d1r = x1r - x4r; const d1i = x1i - x4i
          const d2r = x2r - x3r; const d2i = x2i - x3i
          const m1r = x0r + c1 * t1r + c2 * t2r; const m1i = x0i + c1 * t1i + c2 * t2i
          const m2r = x0r + c2 * t1r + c1 * t2r; const m2i = x0i + c2 * t1i + c1 * t2i
          // i * (s1 d1 + s2 d2) and i * (s2 d1 - s1 d2)
          const n1r = -(s1 * d1i + s2 * d2i); const n1i = s1 * d1r + s2 * d2r
          const n2r = -(s2 * d1i - s1 * d2i); const n2i = s2 * d1r - s1 * d2r
          yRe[y0 + q] = x0r + t1r + t2r; yIm[y0 + q] = x0i + t1i + t2i
          let br = m1r + n1r; let bi = m1i + n1i
          yRe[y1 + q] = br * w1r - bi * w1i; yIm[y1 + q] = br * w1i + bi * w1r
          br = m2r + n2r; bi = m2i + n2i
          yRe[y2 + q] = br * w2r - bi * w2i; yIm[y2 + q] = br * w2i + bi * w2r
          br = m2r - n2r; bi = m2i - n2i
          yRe[y3 + q] = br * w3r - bi * w3i; yIm[y3 + q] = br * w3i + bi * w3r
          br = m1r - n1r; bi = m1i - n1i
          yRe[y4 + q] = br * w4r - bi * w4i; yIm[y4 + q] = br * w4i + bi * w4r
        }
      }
    } else {
      this.genericStage(stage, xRe, xIm, yRe, yIm, s, sign)
    }
  }

  /**
   * Any odd radix r: y_u = w^(p u) sum_t x_t exp(sign 2 pi i t u / r), using
   * the symmetry of the pairs (t, r-t): with s_t = x_t + x_(r-t) and
   * d_t = x_t - x_(r-t), y_u = x_0 + sum_t s_t cos(2 pi t u/r) + sign i d_t sin(2 pi t u/r)
   * and y_(r-u) the same with the sine term negated. About r^2 real
   * multiplications per butterfly instead of 4 r^2.
   */
  private genericStage (stage: Stage, xRe: Float64Array, xIm: Float64Array, yRe: Float64Array, yIm: Float64Array,
    s: number, sign: number): void {
    const { radix, m, twiddleRe, twiddleIm } = stage
    const rootCos = this.rootsCos.get(radix)!
    const rootSin = this.rootsSin.get(radix)!
    const half = (radix - 1) >> 1
    const sumRe = this.sumRe; const sumIm = this.sumIm
    const inRe = this.inRe; const inIm = this.inIm
    const sm = s * m
    for (let p = 0; p < m; p++) {
      for (let q = 0; q < s; q++) {
        const a = s * p + q
        const x0r = xRe[a]; const x0i = xIm[a]
        let totalRe = x0r; let totalIm = x0i
        // inRe/inIm hold s_t at index t and d_t at index half + t (t = 1..half).
        for (let t = 1; t <= half; t++) {
          const ar = xRe[a + t * sm]; const ai = xIm[a + t * sm]
          const br = xRe[a + (radix - t) * sm]; const bi = xIm[a + (radix - t) * sm]
          inRe[t] = ar + br; inIm[t] = ai + bi
          sumRe[t] = ar - br; sumIm[t] = ai - bi
          totalRe += ar + br; totalIm += ai + bi
        }
        const base = s * radix * p + q
        yRe[base] = totalRe; yIm[base] = totalIm
        for (let u = 1; u <= half; u++) {
          let cr = x0r; let ci = x0i; let sr = 0; let si = 0
          let k = 0
          for (let t = 1; t <= half; t++) {
            k += u; if (k >= radix) k -= radix
            const c = rootCos[k]; const sn = rootSin[k]
            cr += inRe[t] * c; ci += inIm[t] * c
            sr += sumRe[t] * sn; si += sumIm[t] * sn
          }
          // sign i (sr + i si) = sign (-si + i sr)
          const ur = cr - sign * si; const ui = ci + sign * sr
          const vr = cr + sign * si; const vi = ci - sign * sr
          const wu = p * radix + u
          const wv = p * radix + radix - u
          const w1r = twiddleRe[wu]; const w1i = sign < 0 ? twiddleIm[wu] : -twiddleIm[wu]
          const w2r = twiddleRe[wv]; const w2i = sign < 0 ? twiddleIm[wv] : -twiddleIm[wv]
          yRe[base + s * u] = ur * w1r - ui * w1i; yIm[base + s * u] = ur * w1i + ui * w1r
          yRe[base + s * (radix - u)] = vr * w2r - vi * w2i; yIm[base + s * (radix - u)] = vr * w2i + vi * w2r
        }
      }
    }
  }
}
