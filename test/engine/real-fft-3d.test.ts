/**
 * RealFft3d (src/engine/fft): the half spectrum against a naive 3D DFT, and
 * inverse(forward(grid)) = nx ny nz grid, on PME-like sizes with the factors
 * the generic butterfly handles (13, 19), odd line counts (the last z line
 * without a partner) and more line pairs than one batch.
 */
import test from 'ava'
import { RealFft3d } from '../../src/engine/fft/real-fft-3d.ts'
import { seededRandom } from './helpers/force-systems.ts'

const SIZES: Array<[number, number, number]> = [[3, 5, 7], [26, 26, 26], [27, 27, 19], [9, 7, 10], [1, 1, 4], [65, 3, 2]]

for (const [nx, ny, nz] of SIZES) {
  test(`${nx}x${ny}x${nz}: half spectrum matches a naive DFT and the round trip restores the grid`, (t) => {
    const random = seededRandom(nx * 10_000 + ny * 100 + nz)
    const fft = new RealFft3d(nx, ny, nz)
    const grid = Float64Array.from({ length: nx * ny * nz }, () => random() - 0.5)
    const original = Float64Array.from(grid)
    fft.forward(grid)
    let worstSpectrum = 0
    for (let trial = 0; trial < 12; trial++) {
      const kx = Math.floor(random() * nx); const ky = Math.floor(random() * ny); const kz = Math.floor(random() * fft.nzHalf)
      let re = 0; let im = 0
      for (let x = 0; x < nx; x++) {
        for (let y = 0; y < ny; y++) {
          for (let z = 0; z < nz; z++) {
            const angle = -2 * Math.PI * (kx * x / nx + ky * y / ny + kz * z / nz)
            const value = original[(x * ny + y) * nz + z]
            re += value * Math.cos(angle)
            im += value * Math.sin(angle)
          }
        }
      }
      const k = (kx * ny + ky) * fft.nzHalf + kz
      worstSpectrum = Math.max(worstSpectrum, Math.abs(fft.spectrumRe[k] - re), Math.abs(fft.spectrumIm[k] - im))
    }
    t.true(worstSpectrum < 1e-10, `largest spectrum error ${worstSpectrum}`)
    fft.inverse(grid)
    const size = nx * ny * nz
    let worstRoundTrip = 0
    for (let k = 0; k < size; k++) worstRoundTrip = Math.max(worstRoundTrip, Math.abs(grid[k] / size - original[k]))
    t.true(worstRoundTrip < 1e-13, `largest round-trip error ${worstRoundTrip}`)
  })
}
