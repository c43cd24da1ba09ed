/**
 * 3D FFT of a real grid (row-major [x][y][z], z fastest) to its half
 * spectrum [x][y][kz], kz = 0 .. floor(nz/2), and back, as PME needs it:
 *
 * - z: two real lines at a time are packed into one complex FFT
 *   (line a as real part, line b as imaginary part) and separated with
 *   A[k] = (Z[k] + conj Z[n-k]) / 2, B[k] = (Z[k] - conj Z[n-k]) / (2i);
 * - y and x: batched complex FFTs over all columns at once
 *   (ComplexFft's interleaved layout), no transposes.
 *
 * Unnormalized: inverse(forward(grid)) = nx ny nz grid. Forward uses
 * exp(-2 pi i k.r/n). Everything is allocated in the constructor.
 *
 * @example
 * const fft = new RealFft3d(26, 26, 26)
 * fft.forward(grid)                 // fft.spectrumRe / spectrumIm now hold the half spectrum
 * fft.inverse(grid)                 // back to real space (times 26^3)
 */
import { ComplexFft } from './complex-fft.ts'

export class RealFft3d {
  readonly nx: number
  readonly ny: number
  readonly nz: number
  /** Half-spectrum z length, floor(nz/2) + 1. */
  readonly nzHalf: number
  /** Half spectrum, index (kx * ny + ky) * nzHalf + kz. */
  readonly spectrumRe: Float64Array
  readonly spectrumIm: Float64Array
  private readonly fftX: ComplexFft
  private readonly fftY: ComplexFft
  private readonly fftZ: ComplexFft
  private readonly lineRe: Float64Array
  private readonly lineIm: Float64Array

  constructor (nx: number, ny: number, nz: number) {
    this.nx = nx
    this.ny = ny
    this.nz = nz
    this.nzHalf = Math.floor(nz / 2) + 1
    const size = nx * ny * this.nzHalf
    this.spectrumRe = new Float64Array(size)
    this.spectrumIm = new Float64Array(size)
    this.fftX = new ComplexFft(nx)
    this.fftY = new ComplexFft(ny)
    this.fftZ = new ComplexFft(nz)
    this.lineRe = new Float64Array(nz)
    this.lineIm = new Float64Array(nz)
  }

  /** Real grid (length nx ny nz) to the half spectrum in spectrumRe/spectrumIm. */
  forward (grid: Float64Array): void {
    const { nx, ny, nz, nzHalf, lineRe, lineIm, spectrumRe, spectrumIm } = this
    const lines = nx * ny
    for (let line = 0; line < lines; line += 2) {
      const a = line * nz
      const hasSecond = line + 1 < lines
      const b = a + nz
      for (let z = 0; z < nz; z++) {
        lineRe[z] = grid[a + z]
        lineIm[z] = hasSecond ? grid[b + z] : 0
      }
      this.fftZ.transform(lineRe, lineIm, 1, -1)
      const outA = line * nzHalf
      const outB = outA + nzHalf
      for (let k = 0; k < nzHalf; k++) {
        const mirror = k === 0 ? 0 : nz - k
        const zr = lineRe[k]; const zi = lineIm[k]
        const mr = lineRe[mirror]; const mi = lineIm[mirror]
        spectrumRe[outA + k] = 0.5 * (zr + mr)
        spectrumIm[outA + k] = 0.5 * (zi - mi)
        if (hasSecond) {
          spectrumRe[outB + k] = 0.5 * (zi + mi)
          spectrumIm[outB + k] = -0.5 * (zr - mr)
        }
      }
    }
    const planeSize = ny * nzHalf
    for (let x = 0; x < nx; x++) this.fftY.transform(spectrumRe, spectrumIm, nzHalf, -1, x * planeSize)
    this.fftX.transform(spectrumRe, spectrumIm, planeSize, -1)
  }

  /**
   * Half spectrum in spectrumRe/spectrumIm (overwritten) to the real grid
   * (unnormalized backward transform of the Hermitian full spectrum).
   */
  inverse (grid: Float64Array): void {
    const { nx, ny, nz, nzHalf, lineRe, lineIm, spectrumRe, spectrumIm } = this
    const planeSize = ny * nzHalf
    this.fftX.transform(spectrumRe, spectrumIm, planeSize, 1)
    for (let x = 0; x < nx; x++) this.fftY.transform(spectrumRe, spectrumIm, nzHalf, 1, x * planeSize)
    const lines = nx * ny
    for (let line = 0; line < lines; line += 2) {
      const hasSecond = line + 1 < lines
      const inA = line * nzHalf
      const inB = inA + nzHalf
      // Z = A + i B over the full line, with A[n-k] = conj A[k] (same for B).
      for (let k = 0; k < nzHalf; k++) {
        const ar = spectrumRe[inA + k]; const ai = spectrumIm[inA + k]
        const br = hasSecond ? spectrumRe[inB + k] : 0; const bi = hasSecond ? spectrumIm[inB + k] : 0
        lineRe[k] = ar - bi
        lineIm[k] = ai + br
        const mirror = nz - k
        if (k > 0 && mirror >= nzHalf) {
          // conj(A) + i conj(B)
          lineRe[mirror] = ar + bi
          lineIm[mirror] = -ai + br
        }
      }
      this.fftZ.transform(lineRe, lineIm, 1, 1)
      const a = line * nz
      for (let z = 0; z < nz; z++) grid[a + z] = lineRe[z]
      if (hasSecond) {
        const b = a + nz
        for (let z = 0; z < nz; z++) grid[b + z] = lineIm[z]
      }
    }
  }
}
