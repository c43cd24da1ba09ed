/**
 * The complementary error function erfc(x), JavaScript has none:
 *
 * - `erfc(x)`: accurate to ~1e-14 relative for x in [0, 6] (series for
 *   x < 2.5, continued fraction beyond), for set-up work and exclusions;
 * - `ErfcTable`: erfc on [0, xMax] as piecewise cubic Hermite polynomials
 *   (nodes every ~1e-3), for the Ewald direct-space pair loop. Its
 *   derivative is the exact derivative of the interpolant, so energies and
 *   forces stay consistent (energy conservation), and it needs no exp.
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI)

/** erfc(x) for any real x, ~1e-14 relative for |x| <= 6. */
export function erfc (x: number): number {
  if (x < 0) return 2 - erfc(-x)
  if (x < 2.5) {
    // erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)); positive terms.
    const x2 = x * x
    let term = x
    let sum = x
    for (let n = 1; n < 200; n++) {
      term *= 2 * x2 / (2 * n + 1)
      sum += term
      if (term < 1e-17 * sum) break
    }
    return 1 - TWO_OVER_SQRT_PI * Math.exp(-x2) * sum
  }
  // Continued fraction erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), modified Lentz.
  const tiny = 1e-300
  let f = x
  let c = x
  let d = 0
  for (let n = 1; n < 500; n++) {
    const a = n / 2
    d = x + a * d
    d = d === 0 ? tiny : 1 / d
    c = x + a / c
    if (c === 0) c = tiny
    const delta = c * d
    f *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f
}

/** erf(x) = 1 - erfc(x). */
export function erf (x: number): number {
  if (Math.abs(x) < 0.5) {
    const x2 = x * x
    let term = x
    let sum = x
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n
      const contribution = term / (2 * n + 1)
      sum += contribution
      if (Math.abs(contribution) < 1e-17 * Math.abs(sum)) break
    }
    return TWO_OVER_SQRT_PI * sum
  }
  return 1 - erfc(x)
}

/** Piecewise cubic Hermite table of erfc on [0, xMax]. */
export class ErfcTable {
  readonly xMax: number
  /** Intervals per unit of x. */
  readonly scale: number
  /** Four polynomial coefficients per interval, in the local coordinate t in [0, 1). */
  readonly coefficients: Float64Array

  constructor (xMax: number, intervalsPerUnit = 1024) {
    this.xMax = xMax
    this.scale = intervalsPerUnit
    const intervals = Math.ceil(xMax * intervalsPerUnit) + 2
    const h = 1 / intervalsPerUnit
    const c = new Float64Array(4 * intervals)
    let x0 = 0
    let f0 = erfc(0)
    let d0 = -TWO_OVER_SQRT_PI * h
    for (let i = 0; i < intervals; i++) {
      const x1 = (i + 1) * h
      const f1 = erfc(x1)
      const d1 = -TWO_OVER_SQRT_PI * Math.exp(-x1 * x1) * h
      // Hermite: p(t) = f0 + d0 t + (3(f1-f0) - 2d0 - d1) t^2 + (2(f0-f1) + d0 + d1) t^3
      c[4 * i] = f0
      c[4 * i + 1] = d0
      c[4 * i + 2] = 3 * (f1 - f0) - 2 * d0 - d1
      c[4 * i + 3] = 2 * (f0 - f1) + d0 + d1
      x0 = x1; f0 = f1; d0 = d1
    }
    void x0
    this.coefficients = c
  }

  /** erfc(x), 0 <= x <= xMax (for checks; the pair loop inlines this). */
  value (x: number): number {
    const u = x * this.scale
    const i = Math.floor(u)
    const t = u - i
    const c = this.coefficients
    const k = 4 * i
    return c[k] + t * (c[k + 1] + t * (c[k + 2] + t * c[k + 3]))
  }
}
