/**
 * 3D FFT of a real grid (row-major [x][y][z], z fastest) to its half
 * spectrum [x][y][kz], kz = 0 .. floor(nz/2), and back, as PME needs it:
 *
 * - z: two real lines at a time are packed into one complex sequence
 *   (line a as real part, line b as imaginary part), PAIRS_PER_BLOCK pairs
 *   at a time transposed into one batch ([z][pair], so that one batched
 *   call transforms them, in cache), and separated with
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

/** Line pairs per batched z transform. */
const PAIRS_PER_BLOCK = 32

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
  /** Line pairs (two z lines each), and a block of them packed for the batched z transform, index z * block + pair in block. */
  private readonly pairCount: number
  private readonly packedRe: Float64Array
  private readonly packedIm: Float64Array

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
    this.pairCount = Math.ceil(nx * ny / 2)
    this.packedRe = new Float64Array(nz * PAIRS_PER_BLOCK)
    this.packedIm = new Float64Array(nz * PAIRS_PER_BLOCK)
  }

  /** Real grid (length nx ny nz) to the half spectrum in spectrumRe/spectrumIm. */
  forward (grid: Float64Array): void {
    const { nx, ny, nzHalf, pairCount, spectrumRe, spectrumIm } = this
    for (let first = 0; first < pairCount; first += PAIRS_PER_BLOCK) {
      this.forwardLines(grid, first, Math.min(PAIRS_PER_BLOCK, pairCount - first))
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
    const { nx, ny, nzHalf, pairCount, spectrumRe, spectrumIm } = this
    const planeSize = ny * nzHalf
    this.fftX.transform(spectrumRe, spectrumIm, planeSize, 1)
    for (let x = 0; x < nx; x++) this.fftY.transform(spectrumRe, spectrumIm, nzHalf, 1, x * planeSize)
    for (let first = 0; first < pairCount; first += PAIRS_PER_BLOCK) {
      this.inverseLines(grid, first, Math.min(PAIRS_PER_BLOCK, pairCount - first))
    }
  }

  /** z transforms of the line pairs [first, first + count) of the grid into the spectrum rows. */
  private forwardLines (grid: Float64Array, first: number, count: number): void {
    const { nx, ny, nz, nzHalf, packedRe, packedIm, spectrumRe, spectrumIm } = this
    const lines = nx * ny
    for (let j = 0; j < count; j++) {
      const line = 2 * (first + j)
      const a = line * nz
      if (line + 1 < lines) {
        const b = a + nz
        for (let z = 0; z < nz; z++) {
          packedRe[z * count + j] = grid[a + z]
          packedIm[z * count + j] = grid[b + z]
        }
      } else {
        for (let z = 0; z < nz; z++) {
          packedRe[z * count + j] = grid[a + z]
          packedIm[z * count + j] = 0
        }
      }
    }
    this.fftZ.transform(packedRe, packedIm, count, -1)
    for (let j = 0; j < count; j++) {
      const line = 2 * (first + j)
      const hasSecond = line + 1 < lines
      const outA = line * nzHalf
      const outB = outA + nzHalf
      for (let k = 0; k < nzHalf; k++) {
        const mirror = k === 0 ? 0 : nz - k
        const zr = packedRe[k * count + j]; const zi = packedIm[k * count + j]
        const mr = packedRe[mirror * count + j]; const mi = packedIm[mirror * count + j]
        spectrumRe[outA + k] = 0.5 * (zr + mr)
        spectrumIm[outA + k] = 0.5 * (zi - mi)
        if (hasSecond) {
          spectrumRe[outB + k] = 0.5 * (zi + mi)
          spectrumIm[outB + k] = -0.5 * (zr - mr)
        }
      }
    }
  }

  /** Inverse z transforms of the spectrum rows of line pairs [first, first + count) into the grid. */
  private inverseLines (grid: Float64Array, first: number, count: number): void {
    const { nx, ny, nz, nzHalf, packedRe, packedIm, spectrumRe, spectrumIm } = this
    const lines = nx * ny
    for (let j = 0; j < count; j++) {
      const line = 2 * (first + j)
      const hasSecond = line + 1 < lines
      const inA = line * nzHalf
      const inB = inA + nzHalf
      // Z = A + i B over the full line, with A[n-k] = conj A[k] (same for B).
      for (let k = 0; k < nzHalf; k++) {
        const ar = spectrumRe[inA + k]; const ai = spectrumIm[inA + k]
        const br = hasSecond ? spectrumRe[inB + k] : 0; const bi = hasSecond ? spectrumIm[inB + k] : 0
        packedRe[k * count + j] = ar - bi
        packedIm[k * count + j] = ai + br
        const mirror = nz - k
        if (k > 0 && mirror >= nzHalf) {
          // conj(A) + i conj(B)
          packedRe[mirror * count + j] = ar + bi
          packedIm[mirror * count + j] = -ai + br
        }
      }
    }
    this.fftZ.transform(packedRe, packedIm, count, 1)
    for (let j = 0; j < count; j++) {
      const line = 2 * (first + j)
      const a = line * nz
      for (let z = 0; z < nz; z++) grid[a + z] = packedRe[z * count + j]
      if (line + 1 < lines) {
        const b = a + nz
        for (let z = 0; z < nz; z++) grid[b + z] = packedIm[z * count + j]
      }
    }
  }
}
