/**
 * The cutoff pair loop of the NonbondedForce kernel over a range of home
 * atoms of the neighbour list (reaction field, Lorentz-Berthelot LJ,
 * optional switching), as OpenMM 7.7's ReferenceLJCoulombIxn.
 *
 * This function is self-contained on purpose (no imports, no closures): the
 * worker thread of `parallel-pairs.ts` runs its source text, so the main
 * thread and the worker share one implementation.
 *
 * Each home's partners come in two runs (see searchPairRange): up to
 * pairedStart[h], pairs within the cutoff (at the list build) where one of
 * the two has no Lennard-Jones, computed by a Coulomb-only loop; then the
 * rest, by the general loop, which stops after shell `shellLimits[h]` of
 * the partners that were beyond the cutoff at the build (the later shells
 * cannot have come within the cutoff yet; see NeighborList.homeShellLimit).
 *
 * `image` holds IMAGE_STRIDE (12) numbers per neighbour-list image (see
 * NeighborList): [x, y, z (nm), charge * sqrt(ONE_4PI_EPS0), sigma/2 (nm),
 * 2 sqrt(epsilon), then two force triples (kJ/mol/nm), one per part of the
 * pair loop], so that a partner's position and the force added to it share
 * cache lines; the forces of this range are added into the triple at
 * `forceOffset` (PART_ONE_FORCE or PART_TWO_FORCE). `settings` = [cutoff^2
 * nm^2, krf, crf, useSwitch (0/1), switching distance nm, 1/(cutoff -
 * switching distance)]. Energies (kJ/mol) are added to energyOut[0] (LJ)
 * and energyOut[1] (Coulomb).
 */
/** Numbers per image in the pair loop's image array (see computePairRange). */
export const IMAGE_STRIDE = 12
/** Offsets of the two force triples within an image's numbers. */
export const PART_ONE_FORCE = 6
export const PART_TWO_FORCE = 9

export function computePairRange (
  homeFrom: number, homeTo: number, homeImage: Int32Array, start: Int32Array, pairedStart: Int32Array, shellEnd: Int32Array,
  shellLimits: Int32Array, neighbors: Int32Array,
  image: Float64Array, forceOffset: number, settings: Float64Array, energyOut: Float64Array,
): void {
  const cutoff2 = settings[0]
  const krf = settings[1]
  const twoKrf = 2 * krf
  const crf = settings[2]
  const useSwitch = settings[3] !== 0
  const switchStart = settings[4]
  const switchInverseWidth = settings[5]
  let energyLJ = 0
  let energyCoulomb = 0
  for (let h = homeFrom; h < homeTo; h++) {
    const si = homeImage[h]
    const i12 = 12 * si
    const iForce = i12 + forceOffset
    const xi = image[i12]; const yi = image[i12 + 1]; const zi = image[i12 + 2]
    const qi = image[i12 + 3]; const sigmaI = image[i12 + 4]; const ei = image[i12 + 5]
    let fxi = 0; let fyi = 0; let fzi = 0
    // Coulomb only (no Lennard-Jones for one of the two)
    const paired = pairedStart[h]
    for (let k = start[h]; k < paired; k++) {
      const s = neighbors[k]
      const s12 = 12 * s
      const dx = image[s12] - xi
      const dy = image[s12 + 1] - yi
      const dz = image[s12 + 2] - zi
      const r2 = dx * dx + dy * dy + dz * dz
      if (r2 >= cutoff2) continue
      const inverseR = 1 / Math.sqrt(r2)
      const chargeProd = qi * image[s12 + 3]
      energyCoulomb += chargeProd * (inverseR + krf * r2 - crf)
      const dEdR = chargeProd * (inverseR - twoKrf * r2) * (inverseR * inverseR)
      const fx = dEdR * dx; const fy = dEdR * dy; const fz = dEdR * dz
      fxi -= fx; fyi -= fy; fzi -= fz
      const sForce = s12 + forceOffset
      image[sForce] += fx; image[sForce + 1] += fy; image[sForce + 2] += fz
    }
    const end = shellEnd[4 * h + shellLimits[h]]
    for (let k = paired; k < end; k++) {
      const s = neighbors[k]
      const s12 = 12 * s
      const dx = image[s12] - xi
      const dy = image[s12 + 1] - yi
      const dz = image[s12 + 2] - zi
      const r2 = dx * dx + dy * dy + dz * dz
      if (r2 >= cutoff2) continue
      const inverseR = 1 / Math.sqrt(r2)
      const inverseR2 = inverseR * inverseR
      const chargeProd = qi * image[s12 + 3]
      energyCoulomb += chargeProd * (inverseR + krf * r2 - crf)
      // dEdR is -(dE/dr)/r as in OpenMM; the force on i is -dEdR (x_j - x_i)
      let dEdR = chargeProd * (inverseR - twoKrf * r2)
      const eps = ei * image[s12 + 5]
      if (eps !== 0) {
        const sigma = sigmaI + image[s12 + 4]
        const sig2 = sigma * sigma * inverseR2
        const sig6 = sig2 * sig2 * sig2
        let lj = eps * (sig6 - 1) * sig6
        let ljDerivative = eps * (12 * sig6 - 6) * sig6
        if (useSwitch) {
          const r = r2 * inverseR
          if (r > switchStart) {
            const t = (r - switchStart) * switchInverseWidth
            const switchValue = 1 + t * t * t * (-10 + t * (15 - t * 6))
            const switchDerivative = t * t * (-30 + t * (60 - t * 30)) * switchInverseWidth
            ljDerivative = ljDerivative * switchValue - lj * switchDerivative * r
            lj *= switchValue
          }
        }
        energyLJ += lj
        dEdR += ljDerivative
      }
      dEdR *= inverseR2
      const fx = dEdR * dx; const fy = dEdR * dy; const fz = dEdR * dz
      fxi -= fx; fyi -= fy; fzi -= fz
      const sForce = s12 + forceOffset
      image[sForce] += fx; image[sForce + 1] += fy; image[sForce + 2] += fz
    }
    image[iForce] += fxi; image[iForce + 1] += fyi; image[iForce + 2] += fzi
  }
  energyOut[0] += energyLJ
  energyOut[1] += energyCoulomb
}

/**
 * computePairRange over homes [homeFrom, homeTo) in chunks of 64 homes, in
 * order, energies summed chunk by chunk into energyOut (zeroed first). Many
 * short calls let the JIT optimize computePairRange as a whole early (one
 * long call per step would run in on-stack-replaced code, deoptimized and
 * slow for thousands of steps). Self-contained except for computePairRange,
 * which the helper thread defines too.
 */
export function computePairRangeInChunks (
  homeFrom: number, homeTo: number, homeImage: Int32Array, start: Int32Array, pairedStart: Int32Array, shellEnd: Int32Array,
  shellLimits: Int32Array, neighbors: Int32Array,
  image: Float64Array, forceOffset: number, settings: Float64Array, energyOut: Float64Array,
): void {
  energyOut[0] = 0
  energyOut[1] = 0
  for (let from = homeFrom; from < homeTo; from += 64) {
    computePairRange(from, Math.min(from + 64, homeTo), homeImage, start, pairedStart, shellEnd, shellLimits, neighbors, image, forceOffset,
      settings, energyOut)
  }
}

/**
 * Writes the position of images [0, imageCount) into `image` (slots 0..2 of
 * IMAGE_STRIDE = 12 per image: x_atom + offset, see NeighborList) and zeroes
 * both force triples (slots 6..11); the parameters (slots 3..5) are left as
 * they are. Self-contained, like computePairRange (the helper thread runs
 * its source text too).
 */
export function fillImagePositions (imageCount: number, positionsNm: Float64Array, imageAtom: Int32Array, imageOffsetNm: Float64Array,
  image: Float64Array): void {
  for (let s = 0; s < imageCount; s++) {
    const a3 = 3 * imageAtom[s]
    const s3 = 3 * s
    const s12 = 12 * s
    image[s12] = positionsNm[a3] + imageOffsetNm[s3]
    image[s12 + 1] = positionsNm[a3 + 1] + imageOffsetNm[s3 + 1]
    image[s12 + 2] = positionsNm[a3 + 2] + imageOffsetNm[s3 + 2]
    image[s12 + 6] = 0; image[s12 + 7] = 0; image[s12 + 8] = 0
    image[s12 + 9] = 0; image[s12 + 10] = 0; image[s12 + 11] = 0
  }
}

/**
 * Sums the force triple at `forceOffset` (PART_ONE_FORCE or PART_TWO_FORCE)
 * of images [0, imageCount) of `image` per atom into `atomForce` (kJ/mol/nm,
 * 3 per atom, [0, 3 particleCount) zeroed first), in image order, so that
 * each part of the pair loop reduces its own forces on its own thread and
 * only one triple per atom crosses to the calling thread. Self-contained,
 * like computePairRange.
 */
export function reduceImageForces (imageCount: number, particleCount: number, imageAtom: Int32Array, image: Float64Array,
  forceOffset: number, atomForce: Float64Array): void {
  atomForce.fill(0, 0, 3 * particleCount)
  for (let s = 0; s < imageCount; s++) {
    const a3 = 3 * imageAtom[s]
    const f = 12 * s + forceOffset
    atomForce[a3] += image[f]
    atomForce[a3 + 1] += image[f + 1]
    atomForce[a3 + 2] += image[f + 2]
  }
}
