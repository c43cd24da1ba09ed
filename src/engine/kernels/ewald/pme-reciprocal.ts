/**
 * Reciprocal-space part of smooth particle-mesh Ewald (Essmann et al. 1995)
 * exactly as OpenMM 7.7's Reference platform computes it (ReferencePME.cpp,
 * called with B-spline order 5):
 *
 * - fractional coordinates from the reciprocal box, wrapped into [0, 1);
 *   grid index = floor(u n), charges spread *forward* onto the order^3
 *   points index .. index+order-1 (periodic) with cardinal B-spline weights;
 * - real 3D FFT, convolution with
 *   eterm(m) = ONE_4PI_EPS0 exp(-pi^2 m^2 / alpha^2) / (pi V m^2 B(m)),
 *   B = product of the B-spline moduli |b(k)|^2 (values < 1e-7 replaced by
 *   the mean of their neighbours), m = 0 left out;
 *   E = 1/2 sum_m eterm(m) |S(m)|^2;
 * - inverse FFT, forces from the B-spline derivatives.
 *
 * OpenMM takes the real part of a full complex inverse FFT; on the Nyquist
 * planes of a triclinic box its eterm is not symmetric under m -> -m, and
 * the real part of the result equals the symmetrized eterm used here on the
 * half spectrum.
 *
 * Charges in e, positions nm, energy kJ/mol, forces kJ/mol/nm. Everything
 * is allocated in the constructor.
 *
 * With kind 'dispersion' it is LJPME's dispersion mesh (OpenMM's
 * dpme_reciprocal_convolution): "charges" are c6_i = 2 sigma_i^3 sqrt(eps_i),
 * the m = 0 term is included and, with b = pi |m| / alpha,
 * eterm(m) = -(2 pi sqrt(pi) / (6 V B(m))) (2 pi^3 sqrt(pi) erfc(b) |m|^3
 *            + exp(-b^2) (alpha^3 - 2 alpha pi^2 m^2)).
 */
import { RealFft3d } from '../../fft/real-fft-3d.ts'
import type { BoxVectors } from '../../system.ts'
import { ONE_4PI_EPS0 } from '../constants.ts'
import { erfc } from './erfc.ts'

/** B-spline interpolation order OpenMM's Reference platform uses for PME (fillSpline, spread and interpolateForces are written out for it). */
export const PME_ORDER = 5

export class PmeReciprocal {
  readonly gridX: number
  readonly gridY: number
  readonly gridZ: number
  readonly alphaPerNm: number
  readonly particleCount: number
  /** 'coulomb' (PME electrostatics) or 'dispersion' (LJPME's C6 mesh). */
  readonly kind: 'coulomb' | 'dispersion'
  private readonly order = PME_ORDER
  private readonly fft: RealFft3d
  private readonly grid: Float64Array
  /** B-spline moduli per axis. */
  private readonly moduliX: Float64Array
  private readonly moduliY: Float64Array
  private readonly moduliZ: Float64Array
  /** Per atom and axis: order B-spline weights and derivatives, first grid index. */
  private readonly thetaX: Float64Array
  private readonly thetaY: Float64Array
  private readonly thetaZ: Float64Array
  private readonly dthetaX: Float64Array
  private readonly dthetaY: Float64Array
  private readonly dthetaZ: Float64Array
  private readonly indexX: Int32Array
  private readonly indexY: Int32Array
  private readonly indexZ: Int32Array
  /** Convolution factors on the half spectrum for `etermBox`. */
  private readonly eterm: Float64Array
  /** Weight of each kz in the energy sum (1 or 2: the half spectrum stands for both halves). */
  private readonly kzWeight: Float64Array
  private readonly etermBox = new Float64Array(9)
  private etermValid = false
  private readonly recip = new Float64Array(9)

  constructor (particleCount: number, gridX: number, gridY: number, gridZ: number, alphaPerNm: number,
    kind: 'coulomb' | 'dispersion' = 'coulomb') {
    this.particleCount = particleCount
    this.kind = kind
    this.gridX = gridX
    this.gridY = gridY
    this.gridZ = gridZ
    this.alphaPerNm = alphaPerNm
    this.fft = new RealFft3d(gridX, gridY, gridZ)
    this.grid = new Float64Array(gridX * gridY * gridZ)
    const order = this.order
    this.moduliX = bsplineModuli(gridX, order)
    this.moduliY = bsplineModuli(gridY, order)
    this.moduliZ = bsplineModuli(gridZ, order)
    this.thetaX = new Float64Array(order * particleCount)
    this.thetaY = new Float64Array(order * particleCount)
    this.thetaZ = new Float64Array(order * particleCount)
    this.dthetaX = new Float64Array(order * particleCount)
    this.dthetaY = new Float64Array(order * particleCount)
    this.dthetaZ = new Float64Array(order * particleCount)
    this.indexX = new Int32Array(particleCount)
    this.indexY = new Int32Array(particleCount)
    this.indexZ = new Int32Array(particleCount)
    this.eterm = new Float64Array(gridX * gridY * this.fft.nzHalf)
    this.kzWeight = new Float64Array(this.fft.nzHalf)
    for (let kz = 0; kz < this.fft.nzHalf; kz++) {
      this.kzWeight[kz] = kz === 0 || (gridZ % 2 === 0 && kz === gridZ / 2) ? 1 : 2
    }
  }

  /**
   * Adds the reciprocal-space forces (kJ/mol/nm) into `forcesOut` and returns
   * the reciprocal-space energy (kJ/mol). `charges` in e (not scaled).
   */
  compute (positionsNm: Float64Array, charges: Float64Array, box: BoxVectors, forcesOut: Float64Array): number {
    this.invertBox(box)
    this.computeSplines(positionsNm)
    this.spread(charges)
    this.fft.forward(this.grid)
    if (!this.etermValid || !sameBox(box, this.etermBox)) this.computeEterm(box)
    const energy = this.convolve()
    this.fft.inverse(this.grid)
    this.interpolateForces(charges, forcesOut)
    return energy
  }

  /** OpenMM's invert_box_vectors, rows a*, b*, c* (row-major 3x3). */
  private invertBox (box: BoxVectors): void {
    const ax = box[0]; const bx = box[3]; const by = box[4]; const cx = box[6]; const cy = box[7]; const cz = box[8]
    const scale = 1 / (ax * by * cz)
    const r = this.recip
    r[0] = by * cz * scale; r[1] = 0; r[2] = 0
    r[3] = -bx * cz * scale; r[4] = ax * cz * scale; r[5] = 0
    r[6] = (bx * cy - by * cx) * scale; r[7] = -ax * cy * scale; r[8] = ax * by * scale
  }

  private computeSplines (positionsNm: Float64Array): void {
    const r = this.recip
    const nx = this.gridX; const ny = this.gridY; const nz = this.gridZ
    const order = this.order
    for (let i = 0; i < this.particleCount; i++) {
      const x = positionsNm[3 * i]; const y = positionsNm[3 * i + 1]; const z = positionsNm[3 * i + 2]
      let t = x * r[0] + y * r[3] + z * r[6]
      t = (t - Math.floor(t)) * nx
      let ti = Math.trunc(t)
      this.fillSpline(t - ti, this.thetaX, this.dthetaX, order * i)
      this.indexX[i] = ti % nx
      t = y * r[4] + z * r[7]
      t = (t - Math.floor(t)) * ny
      ti = Math.trunc(t)
      this.fillSpline(t - ti, this.thetaY, this.dthetaY, order * i)
      this.indexY[i] = ti % ny
      t = z * r[8]
      t = (t - Math.floor(t)) * nz
      ti = Math.trunc(t)
      this.fillSpline(t - ti, this.thetaZ, this.dthetaZ, order * i)
      this.indexZ[i] = ti % nz
    }
  }

  /**
   * Cardinal B-spline weights and derivatives at fractional offset dr
   * (OpenMM's pme_update_bsplines for order 5, its recursion written out:
   * the same operations in the same order).
   */
  private fillSpline (dr: number, theta: Float64Array, dtheta: Float64Array, offset: number): void {
    // order 2
    let d0 = 1 - dr
    let d1 = dr
    // order 3
    let div = 1 / 2
    let d2 = div * dr * d1
    d1 = div * ((dr + 1) * d0 + (2 - dr) * d1)
    d0 = div * (1 - dr) * d0
    // order 4
    div = 1 / 3
    let d3 = div * dr * d2
    d2 = div * ((dr + 1) * d1 + (3 - dr) * d2)
    d1 = div * ((dr + 2) * d0 + (2 - dr) * d1)
    d0 = div * (1 - dr) * d0
    // derivatives from order 4 (d4 = 0 here)
    dtheta[offset] = -d0
    dtheta[offset + 1] = d0 - d1
    dtheta[offset + 2] = d1 - d2
    dtheta[offset + 3] = d2 - d3
    dtheta[offset + 4] = d3 - 0
    // order 5
    div = 1 / 4
    const d4 = div * dr * d3
    d3 = div * ((dr + 1) * d2 + (4 - dr) * d3)
    d2 = div * ((dr + 2) * d1 + (3 - dr) * d2)
    d1 = div * ((dr + 3) * d0 + (2 - dr) * d1)
    d0 = div * (1 - dr) * d0
    theta[offset] = d0
    theta[offset + 1] = d1
    theta[offset + 2] = d2
    theta[offset + 3] = d3
    theta[offset + 4] = d4
  }

  /** Spreads the charges onto the grid (order-5 B-splines; the z run of five points unrolled). */
  private spread (charges: Float64Array): void {
    const grid = this.grid
    grid.fill(0)
    const nx = this.gridX; const ny = this.gridY; const nz = this.gridZ
    const order = this.order
    const thetaX = this.thetaX; const thetaY = this.thetaY; const thetaZ = this.thetaZ
    const indexX = this.indexX; const indexY = this.indexY; const indexZ = this.indexZ
    for (let i = 0; i < this.particleCount; i++) {
      const q = charges[i]
      if (q === 0) continue
      const o = order * i
      const x0 = indexX[i]; const y0 = indexY[i]; const z0 = indexZ[i]
      const tz0 = thetaZ[o]; const tz1 = thetaZ[(o + 1) | 0]; const tz2 = thetaZ[(o + 2) | 0]
      const tz3 = thetaZ[(o + 3) | 0]; const tz4 = thetaZ[(o + 4) | 0]
      const inside = z0 + order <= nz
      for (let ix = 0; ix < order; ix++) {
        let xi = x0 + ix; if (xi >= nx) xi -= nx
        const qx = q * thetaX[(o + ix) | 0]
        for (let iy = 0; iy < order; iy++) {
          let yi = y0 + iy; if (yi >= ny) yi -= ny
          const qxy = qx * thetaY[(o + iy) | 0]
          const row = ((xi * ny + yi) * nz) | 0
          if (inside) {
            const base = (row + z0) | 0
            grid[base] += qxy * tz0
            grid[(base + 1) | 0] += qxy * tz1
            grid[(base + 2) | 0] += qxy * tz2
            grid[(base + 3) | 0] += qxy * tz3
            grid[(base + 4) | 0] += qxy * tz4
          } else {
            for (let iz = 0; iz < order; iz++) {
              let zi = z0 + iz; if (zi >= nz) zi -= nz
              grid[(row + zi) | 0] += qxy * thetaZ[(o + iz) | 0]
            }
          }
        }
      }
    }
  }

  /** eterm on the half spectrum for this box (symmetrized on the Nyquist planes, see the file comment). */
  private computeEterm (box: BoxVectors): void {
    this.etermBox.set(box)
    this.etermValid = true
    const nx = this.gridX; const ny = this.gridY; const nz = this.gridZ
    const nzHalf = this.fft.nzHalf
    const r = this.recip
    const factor = Math.PI * Math.PI / (this.alphaPerNm * this.alphaPerNm)
    const boxFactor = Math.PI * box[0] * box[4] * box[8]
    const maxX = Math.floor((nx + 1) / 2); const maxY = Math.floor((ny + 1) / 2); const maxZ = Math.floor((nz + 1) / 2)
    const frequency = (k: number, n: number, max: number): number => k < max ? k : k - n
    const dispersion = this.kind === 'dispersion'
    const alpha = this.alphaPerNm
    const dispersionBoxFactor = -2 * Math.PI * Math.sqrt(Math.PI) / (6 * box[0] * box[4] * box[8])
    const single = (kx: number, ky: number, kz: number): number => {
      if (dispersion) {
        const mx = frequency(kx, nx, maxX); const my = frequency(ky, ny, maxY); const mz = frequency(kz, nz, maxZ)
        const mhx = mx * r[0]
        const mhy = mx * r[3] + my * r[4]
        const mhz = mx * r[6] + my * r[7] + mz * r[8]
        const m2 = mhx * mhx + mhy * mhy + mhz * mhz
        const m = Math.sqrt(m2)
        const b = Math.PI / alpha * m
        const fac1 = 2 * Math.PI * Math.PI * Math.PI * Math.sqrt(Math.PI)
        const value = fac1 * erfc(b) * m * m2 + Math.exp(-b * b) * (alpha * alpha * alpha - 2 * alpha * Math.PI * Math.PI * m2)
        return value * dispersionBoxFactor / (this.moduliX[kx] * this.moduliY[ky] * this.moduliZ[kz])
      }
      if (kx === 0 && ky === 0 && kz === 0) return 0
      const mx = frequency(kx, nx, maxX); const my = frequency(ky, ny, maxY); const mz = frequency(kz, nz, maxZ)
      const mhx = mx * r[0]
      const mhy = mx * r[3] + my * r[4]
      const mhz = mx * r[6] + my * r[7] + mz * r[8]
      const m2 = mhx * mhx + mhy * mhy + mhz * mhz
      const denominator = m2 * boxFactor * this.moduliX[kx] * this.moduliY[ky] * this.moduliZ[kz]
      return ONE_4PI_EPS0 * Math.exp(-factor * m2) / denominator
    }
    const triclinic = box[3] !== 0 || box[6] !== 0 || box[7] !== 0
    const nyquistX = nx % 2 === 0 ? nx / 2 : -1
    const nyquistY = ny % 2 === 0 ? ny / 2 : -1
    const nyquistZ = nz % 2 === 0 ? nz / 2 : -1
    const eterm = this.eterm
    for (let kx = 0; kx < nx; kx++) {
      for (let ky = 0; ky < ny; ky++) {
        const row = (kx * ny + ky) * nzHalf
        for (let kz = 0; kz < nzHalf; kz++) {
          let value = single(kx, ky, kz)
          if (triclinic && (kx === nyquistX || ky === nyquistY || kz === nyquistZ)) {
            value = 0.5 * (value + single((nx - kx) % nx, (ny - ky) % ny, (nz - kz) % nz))
          }
          eterm[row + kz] = value
        }
      }
    }
  }

  /** Multiplies the spectrum by eterm; returns 1/2 sum eterm |S|^2 over the full spectrum. */
  private convolve (): number {
    const re = this.fft.spectrumRe
    const im = this.fft.spectrumIm
    const eterm = this.eterm
    const weight = this.kzWeight
    const nzHalf = this.fft.nzHalf
    const rows = this.gridX * this.gridY
    let sum = 0
    for (let row = 0; row < rows; row++) {
      const base = row * nzHalf
      for (let kz = 0; kz < nzHalf; kz++) {
        const k = base + kz
        const e = eterm[k]
        const a = re[k]; const b = im[k]
        sum += weight[kz] * e * (a * a + b * b)
        re[k] = a * e
        im[k] = b * e
      }
    }
    return 0.5 * sum
  }

  /** Forces from the convolved grid and the B-spline derivatives (the z run of five points unrolled). */
  private interpolateForces (charges: Float64Array, forcesOut: Float64Array): void {
    const grid = this.grid
    const nx = this.gridX; const ny = this.gridY; const nz = this.gridZ
    const order = this.order
    const r = this.recip
    const { thetaX, thetaY, thetaZ, dthetaX, dthetaY, dthetaZ, indexX, indexY, indexZ } = this
    for (let i = 0; i < this.particleCount; i++) {
      const q = charges[i]
      if (q === 0) continue
      const o = order * i
      const x0 = indexX[i]; const y0 = indexY[i]; const z0 = indexZ[i]
      const tz0 = thetaZ[o]; const tz1 = thetaZ[(o + 1) | 0]; const tz2 = thetaZ[(o + 2) | 0]
      const tz3 = thetaZ[(o + 3) | 0]; const tz4 = thetaZ[(o + 4) | 0]
      const dz0 = dthetaZ[o]; const dz1 = dthetaZ[(o + 1) | 0]; const dz2 = dthetaZ[(o + 2) | 0]
      const dz3 = dthetaZ[(o + 3) | 0]; const dz4 = dthetaZ[(o + 4) | 0]
      const inside = z0 + order <= nz
      let fx = 0; let fy = 0; let fz = 0
      for (let ix = 0; ix < order; ix++) {
        let xi = x0 + ix; if (xi >= nx) xi -= nx
        const tx = thetaX[(o + ix) | 0]; const dtx = dthetaX[(o + ix) | 0]
        for (let iy = 0; iy < order; iy++) {
          let yi = y0 + iy; if (yi >= ny) yi -= ny
          const ty = thetaY[(o + iy) | 0]; const dty = dthetaY[(o + iy) | 0]
          const row = ((xi * ny + yi) * nz) | 0
          let sumT = 0; let sumDT = 0
          if (inside) {
            const base = (row + z0) | 0
            const g0 = grid[base]; const g1 = grid[(base + 1) | 0]; const g2 = grid[(base + 2) | 0]
            const g3 = grid[(base + 3) | 0]; const g4 = grid[(base + 4) | 0]
            sumT = tz0 * g0 + tz1 * g1 + tz2 * g2 + tz3 * g3 + tz4 * g4
            sumDT = dz0 * g0 + dz1 * g1 + dz2 * g2 + dz3 * g3 + dz4 * g4
          } else {
            for (let iz = 0; iz < order; iz++) {
              let zi = z0 + iz; if (zi >= nz) zi -= nz
              const value = grid[(row + zi) | 0]
              sumT += thetaZ[(o + iz) | 0] * value
              sumDT += dthetaZ[(o + iz) | 0] * value
            }
          }
          fx += dtx * ty * sumT
          fy += tx * dty * sumT
          fz += tx * ty * sumDT
        }
      }
      forcesOut[3 * i] -= q * (fx * nx * r[0])
      forcesOut[3 * i + 1] -= q * (fx * nx * r[3] + fy * ny * r[4])
      forcesOut[3 * i + 2] -= q * (fx * nx * r[6] + fy * ny * r[7] + fz * nz * r[8])
    }
  }
}

function sameBox (a: BoxVectors, b: Float64Array): boolean {
  for (let k = 0; k < 9; k++) if (a[k] !== b[k]) return false
  return true
}

/** |DFT of the B-spline values at the integers|^2 per grid index (OpenMM's pme_calculate_bsplines_moduli). */
function bsplineModuli (n: number, order: number): Float64Array {
  const data = new Float64Array(order)
  data[order - 1] = 0
  data[1] = 0
  data[0] = 1
  for (let k = 3; k < order; k++) {
    const div = 1 / (k - 1)
    data[k - 1] = 0
    for (let l = 1; l < k - 1; l++) data[k - l - 1] = div * (l * data[k - l - 2] + (k - l) * data[k - l - 1])
    data[0] = div * data[0]
  }
  const div = 1 / (order - 1)
  data[order - 1] = 0
  for (let l = 1; l < order - 1; l++) data[order - l - 1] = div * (l * data[order - l - 2] + (order - l) * data[order - l - 1])
  data[0] = div * data[0]
  const values = new Float64Array(Math.max(n, order + 1))
  for (let i = 1; i <= order; i++) values[i] = data[i - 1]
  const moduli = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let sc = 0; let ss = 0
    for (let j = 0; j < n; j++) {
      const arg = 2 * Math.PI * i * j / n
      sc += values[j] * Math.cos(arg)
      ss += values[j] * Math.sin(arg)
    }
    moduli[i] = sc * sc + ss * ss
  }
  for (let i = 0; i < n; i++) {
    if (moduli[i] < 1e-7) moduli[i] = (moduli[(i - 1 + n) % n] + moduli[(i + 1) % n]) / 2
  }
  return moduli
}
