/**
 * The direct-space pair loop of the Ewald/PME NonbondedForce kernel over a
 * range of home atoms of the neighbour list, as OpenMM 7.7's
 * ReferenceLJCoulombIxn::calculateEwaldIxn: erfc-screened Coulomb
 * ONE_4PI_EPS0 qi qj erfc(alpha r)/r plus Lorentz-Berthelot LJ (switched when
 * enabled), and with LJPME the dispersion terms (see ewald-nonbonded.ts).
 *
 * Self-contained on purpose (no imports, no closures, no allocation): the
 * helper thread (shared-function-thread.ts) runs its source text, so both
 * threads share one implementation. Index arithmetic is written `(a + b) | 0`
 * and with shifts: V8 then needs no overflow checks (about 10% faster).
 *
 * Each home's partners come in two runs (see searchPairRange): up to
 * pairedStart[h], pairs within the cutoff (at the list build) where one of
 * the two has no Lennard-Jones (Coulomb only; with LJPME their c6 product is
 * zero too); then the rest, up to the end of shell `shellLimit` of the
 * partners that were beyond the cutoff at the build (see
 * NeighborList.shellLimit).
 *
 * `image`: 8 numbers per neighbour-list image, [x, y, z (nm),
 * charge sqrt(ONE_4PI_EPS0), sigma/2 (nm), 2 sqrt(epsilon), c6 (LJPME, else
 * 0), 0], one cache line per partner. Forces (kJ/mol/nm, 3 per image) are
 * added into `imageForce` from `forceOffset` on. `erfcTable`: 4 cubic coefficients per interval of
 * ErfcTable (erfc of x = alpha r, interval = floor(x scale)).
 * `settings` = [cutoff^2 (nm^2), alpha * table scale (nm^-1), useSwitch (0/1),
 * switching distance (nm), 1/(cutoff - switching distance) (nm^-1), LJPME
 * (0/1), LJPME alpha^2 (nm^-2), cutoff^-6 (nm^-6), LJPME dispersion factor at
 * the cutoff].
 * Energies (kJ/mol) are written to energyOut[energyOffset] (LJ) and
 * energyOut[energyOffset + 1] (Coulomb).
 */
import { fillImagePositionsOnce } from '../image-positions.ts'

export function computeEwaldPairRange (
  homeFrom: number, homeTo: number, homeImage: Int32Array, start: Int32Array, pairedStart: Int32Array, shellEnd: Int32Array,
  shellLimit: number, neighbors: Int32Array,
  image: Float64Array, imageForce: Float64Array, forceOffset: number, settings: Float64Array, erfcTable: Float64Array,
  energyOut: Float64Array, energyOffset: number,
): void {
  const cutoff2 = settings[0]
  const alphaScale = settings[1]
  const useSwitch = settings[2] !== 0
  const switchStart = settings[3]
  const switchInverseWidth = settings[4]
  const ljpme = settings[5] !== 0
  const dispersionAlpha2 = settings[6]
  const inverseCutoff6 = settings[7]
  const cutoffDispersionFactor = settings[8]
  let energyLJ = 0
  let energyCoulomb = 0
  energyOut[energyOffset] = 0
  energyOut[energyOffset + 1] = 0
  for (let h = homeFrom; h < homeTo; h++) {
    const si = homeImage[h]
    const i8 = si << 3
    const xi = image[i8]; const yi = image[(i8 + 1) | 0]; const zi = image[(i8 + 2) | 0]
    const qi = image[(i8 + 3) | 0]; const sigmaI = image[(i8 + 4) | 0]; const ei = image[(i8 + 5) | 0]; const c6i = image[(i8 + 6) | 0]
    let fxi = 0; let fyi = 0; let fzi = 0
    // Coulomb only (no Lennard-Jones for one of the two)
    const paired = pairedStart[h]
    for (let k = start[h]; k < paired; k++) {
      const s = neighbors[k]
      const s8 = s << 3
      const dx = image[s8] - xi
      const dy = image[(s8 + 1) | 0] - yi
      const dz = image[(s8 + 2) | 0] - zi
      const r2 = dx * dx + dy * dy + dz * dz
      if (r2 >= cutoff2) continue
      const chargeProd = qi * image[(s8 + 3) | 0]
      const r = Math.sqrt(r2)
      const inverseR = 1 / r
      const u = r * alphaScale
      const cell = u | 0
      const t = u - cell
      const c = cell << 2
      const c1 = erfcTable[(c + 1) | 0]; const c2 = erfcTable[(c + 2) | 0]; const c3 = erfcTable[(c + 3) | 0]
      const erfcValue = erfcTable[c] + t * (c1 + t * (c2 + t * c3))
      // d erfc(alpha r)/dr from the same cubic
      const erfcSlope = (c1 + t * (2 * c2 + 3 * t * c3)) * alphaScale
      const coulomb = chargeProd * erfcValue * inverseR
      energyCoulomb += coulomb
      // dEdR is -(dE/dr)/r as in OpenMM; the force on i is -dEdR (x_j - x_i)
      const dEdR = (coulomb - chargeProd * erfcSlope) * inverseR * inverseR
      const fx = dEdR * dx; const fy = dEdR * dy; const fz = dEdR * dz
      fxi -= fx; fyi -= fy; fzi -= fz
      const s3 = (forceOffset + 3 * s) | 0
      imageForce[s3] += fx; imageForce[(s3 + 1) | 0] += fy; imageForce[(s3 + 2) | 0] += fz
    }
    const end = shellEnd[4 * h + shellLimit]
    for (let k = paired; k < end; k++) {
      const s = neighbors[k]
      const s8 = s << 3
      const dx = image[s8] - xi
      const dy = image[(s8 + 1) | 0] - yi
      const dz = image[(s8 + 2) | 0] - zi
      const r2 = dx * dx + dy * dy + dz * dz
      if (r2 >= cutoff2) continue
      const r = Math.sqrt(r2)
      const inverseR = 1 / r
      const inverseR2 = inverseR * inverseR
      let dEdR = 0
      const chargeProd = qi * image[(s8 + 3) | 0]
      if (chargeProd !== 0) {
        const u = r * alphaScale
        const cell = u | 0
        const t = u - cell
        const c = cell << 2
        const c1 = erfcTable[(c + 1) | 0]; const c2 = erfcTable[(c + 2) | 0]; const c3 = erfcTable[(c + 3) | 0]
        const erfcValue = erfcTable[c] + t * (c1 + t * (c2 + t * c3))
        const erfcSlope = (c1 + t * (2 * c2 + 3 * t * c3)) * alphaScale
        const coulomb = chargeProd * erfcValue * inverseR
        energyCoulomb += coulomb
        dEdR = (coulomb - chargeProd * erfcSlope) * inverseR2
      }
      const eps = ei * image[(s8 + 5) | 0]
      if (eps !== 0) {
        const sigma = sigmaI + image[(s8 + 4) | 0]
        const sig2 = sigma * sigma * inverseR2
        const sig6 = sig2 * sig2 * sig2
        let lj = eps * (sig6 - 1) * sig6
        let ljDerivative = eps * (12 * sig6 - 6) * sig6
        if (useSwitch) {
          if (r > switchStart) {
            const t = (r - switchStart) * switchInverseWidth
            const switchValue = 1 + t * t * t * (-10 + t * (15 - t * 6))
            const switchDerivative = t * t * (-30 + t * (60 - t * 30)) * switchInverseWidth
            ljDerivative = ljDerivative * switchValue - lj * switchDerivative * r
            lj *= switchValue
          }
        }
        if (ljpme) {
          const c6ij = c6i * image[(s8 + 6) | 0]
          const a2 = dispersionAlpha2 * r2
          const expTerm = Math.exp(-a2)
          const inverseR6 = inverseR2 * inverseR2 * inverseR2
          const poly = 1 + a2 + 0.5 * a2 * a2
          lj += c6ij * inverseR6 * (1 - expTerm * poly)
          ljDerivative += 6 * c6ij * inverseR6 * (1 - expTerm * (poly + a2 * a2 * a2 / 6))
          const sigma2 = sigma * sigma
          const sigma6c = sigma2 * sigma2 * sigma2 * inverseCutoff6
          lj += eps * (1 - sigma6c) * sigma6c - c6ij * inverseCutoff6 * cutoffDispersionFactor
        }
        energyLJ += lj
        dEdR += ljDerivative * inverseR2
      }
      const fx = dEdR * dx; const fy = dEdR * dy; const fz = dEdR * dz
      fxi -= fx; fyi -= fy; fzi -= fz
      const s3 = (forceOffset + 3 * s) | 0
      imageForce[s3] += fx; imageForce[(s3 + 1) | 0] += fy; imageForce[(s3 + 2) | 0] += fz
    }
    const i3 = (forceOffset + 3 * si) | 0
    imageForce[i3] += fxi; imageForce[(i3 + 1) | 0] += fyi; imageForce[(i3 + 2) | 0] += fzi
    // (written per home, not once after the loop: V8 optimizes this function while it is still in its first call
    // (on-stack replacement), and code it has not yet run there would make it throw the optimized code away again)
    energyOut[energyOffset] = energyLJ
    energyOut[energyOffset + 1] = energyCoulomb
  }
}

/**
 * The pair loop cut into chunks of homes, [chunkHome[c], chunkHome[c + 1]),
 * which the calling thread and a helper thread take in turn (whoever comes
 * first, through `ticket[0]`, an atomic counter) until none is left. Chunk c
 * writes its forces into its own slice of `chunkForce` (from c chunkStride;
 * only images [chunkImageLow[c], chunkImageHigh[c]) can be touched, and only
 * those are zeroed first) and its energies into chunkEnergy[2c], [2c + 1],
 * so the results do not depend on which thread took which chunk: the caller
 * sums the chunks in order.
 *
 * Before any chunk, the image positions are written (fillImagePositions) by
 * whichever thread comes first (`ticket[1]` claims the work, `ticket[2]` says
 * it is done; the other thread waits for it, at most 1 ms, then writes the
 * same values itself): with a helper thread that is
 * the helper, while the calling thread does reciprocal space, and the image
 * array stays in the cache of the core that reads it most. `ticket` must be
 * zeroed before each call. Self-contained but for computeEwaldPairRange and
 * fillImagePositionsOnce (image-positions.ts; the helper thread has them).
 */
export function computeEwaldChunks (
  ticket: Int32Array, chunkCount: number, chunkHome: Int32Array, chunkImageLow: Int32Array, chunkImageHigh: Int32Array,
  homeImage: Int32Array, start: Int32Array, pairedStart: Int32Array, shellEnd: Int32Array, shellLimit: number, neighbors: Int32Array,
  image: Float64Array, chunkForce: Float64Array, chunkStride: number, settings: Float64Array, erfcTable: Float64Array, chunkEnergy: Float64Array,
  positionsNm: Float64Array, imageAtom: Int32Array, imageOffsetNm: Float64Array, imageCount: number,
): void {
  fillImagePositionsOnce(ticket, positionsNm, imageAtom, imageOffsetNm, imageCount, image)
  for (;;) {
    const c = Atomics.add(ticket, 0, 1)
    if (c >= chunkCount) return
    const offset = c * chunkStride
    chunkForce.fill(0, offset + 3 * chunkImageLow[c], offset + 3 * chunkImageHigh[c])
    computeEwaldPairRange(chunkHome[c], chunkHome[c + 1], homeImage, start, pairedStart, shellEnd, shellLimit, neighbors,
      image, chunkForce, offset, settings, erfcTable, chunkEnergy, 2 * c)
  }
}
