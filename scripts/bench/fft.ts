/**
 * The PME FFT (src/engine/fft): forward + inverse 3D real FFT on PME-sized
 * grids, against a full complex 3D FFT of the same grid with the same 1D
 * transforms (the baseline, what a complex-only library would do) measured in
 * the same run.
 *
 *   npx tsx scripts/bench/fft.ts
 *
 * Grid sizes: 26^3 and 27x27x19 are what OpenMM's Reference platform picks
 * for the ala2-tip3p PME systems (factors 13, 19: the generic butterfly),
 * 64^3 a large power of two, 60^3 and 84^3 5- and 7-smooth sizes.
 * Why hand-written: OpenMM's Reference grids are not restricted to small
 * primes, and the fast npm FFTs (fft.js) are power-of-two only.
 */
import { performance } from 'node:perf_hooks'
import { ComplexFft } from '../../src/engine/fft/complex-fft.ts'
import { RealFft3d } from '../../src/engine/fft/real-fft-3d.ts'

const GRIDS: Array<[number, number, number]> = [[26, 26, 26], [27, 27, 19], [48, 48, 48], [60, 60, 60], [64, 64, 64], [84, 84, 84]]

/** Best time of one call, ms, over `seconds` of repeated calls after a warm-up (the minimum resists other load). */
function timeIt (run: () => void, seconds = 1): number {
  for (let i = 0; i < 5; i++) run()
  let best = Infinity
  const start = performance.now()
  while (performance.now() - start < seconds * 1000) {
    const t = performance.now()
    run()
    best = Math.min(best, performance.now() - t)
  }
  return best
}

class ComplexFft3d {
  readonly re: Float64Array
  readonly im: Float64Array
  private readonly fx: ComplexFft
  private readonly fy: ComplexFft
  private readonly fz: ComplexFft
  constructor (readonly nx: number, readonly ny: number, readonly nz: number) {
    this.re = new Float64Array(nx * ny * nz)
    this.im = new Float64Array(nx * ny * nz)
    this.fx = new ComplexFft(nx); this.fy = new ComplexFft(ny); this.fz = new ComplexFft(nz)
  }

  transform (sign: -1 | 1): void {
    const { nx, ny, nz } = this
    for (let line = 0; line < nx * ny; line++) this.fz.transform(this.re, this.im, 1, sign, line * nz)
    for (let x = 0; x < nx; x++) this.fy.transform(this.re, this.im, nz, sign, x * ny * nz)
    this.fx.transform(this.re, this.im, ny * nz, sign)
  }
}

const rows: string[] = []
for (const [nx, ny, nz] of GRIDS) {
  const grid = Float64Array.from({ length: nx * ny * nz }, (_, i) => Math.sin(i))
  const real = new RealFft3d(nx, ny, nz)
  const realMs = timeIt(() => { real.forward(grid); real.inverse(grid) })
  const complex = new ComplexFft3d(nx, ny, nz)
  complex.re.set(grid)
  const complexMs = timeIt(() => { complex.transform(-1); complex.transform(1) })
  rows.push(`${`${nx}x${ny}x${nz}`.padEnd(10)}  ${realMs.toFixed(2).padStart(10)}  ${complexMs.toFixed(2).padStart(12)}  ${(complexMs / realMs).toFixed(2).padStart(7)}`)
}
console.log('grid        real fwd+inv ms  complex fwd+inv ms  speedup   (best of repeated runs)')
console.log('----------  ---------------  ------------------  -------')
for (const row of rows) console.log(row)
console.log(`Node ${process.version}; times depend on the machine's load.`)
