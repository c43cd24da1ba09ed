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
 * rest, by the general loop, which stops after shell `shellLimit` of the
 * partners that were beyond the cutoff at the build (the later shells cannot
 * have come within the cutoff yet; see NeighborList.shellLimit).
 *
 * Arrays are per neighbour-list image (see NeighborList): `image` holds 6
 * numbers per image, [x, y, z (nm), charge * sqrt(ONE_4PI_EPS0), sigma/2 (nm),
 * 2 sqrt(epsilon)], so that one partner is one cache line; forces
 * (kJ/mol/nm, 3 per image) are added into `imageForce`. `settings` = [cutoff^2 nm^2, krf, crf, useSwitch (0/1),
 * switching distance nm, 1/(cutoff - switching distance)].
 * Energies (kJ/mol) are written to energyOut[0] (LJ) and energyOut[1] (Coulomb).
 */
export function computePairRange (
  homeFrom: number, homeTo: number, homeImage: Int32Array, start: Int32Array, pairedStart: Int32Array, shellEnd: Int32Array,
  shellLimit: number, neighbors: Int32Array,
  image: Float64Array, imageForce: Float64Array, settings: Float64Array, energyOut: Float64Array,
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
    const i3 = 3 * si
    const i6 = 6 * si
    const xi = image[i6]; const yi = image[i6 + 1]; const zi = image[i6 + 2]
    const qi = image[i6 + 3]; const sigmaI = image[i6 + 4]; const ei = image[i6 + 5]
    let fxi = 0; let fyi = 0; let fzi = 0
    // Coulomb only (no Lennard-Jones for one of the two)
    const paired = pairedStart[h]
    for (let k = start[h]; k < paired; k++) {
      const s = neighbors[k]
      const s6 = 6 * s
      const dx = image[s6] - xi
      const dy = image[s6 + 1] - yi
      const dz = image[s6 + 2] - zi
      const r2 = dx * dx + dy * dy + dz * dz
      if (r2 >= cutoff2) continue
      const inverseR = 1 / Math.sqrt(r2)
      const chargeProd = qi * image[s6 + 3]
      energyCoulomb += chargeProd * (inverseR + krf * r2 - crf)
      const dEdR = chargeProd * (inverseR - twoKrf * r2) * (inverseR * inverseR)
      const fx = dEdR * dx; const fy = dEdR * dy; const fz = dEdR * dz
      fxi -= fx; fyi -= fy; fzi -= fz
      const s3 = 3 * s
      imageForce[s3] += fx; imageForce[s3 + 1] += fy; imageForce[s3 + 2] += fz
    }
    const end = shellEnd[4 * h + shellLimit]
    for (let k = paired; k < end; k++) {
      const s = neighbors[k]
      const s6 = 6 * s
      const dx = image[s6] - xi
      const dy = image[s6 + 1] - yi
      const dz = image[s6 + 2] - zi
      const r2 = dx * dx + dy * dy + dz * dz
      if (r2 >= cutoff2) continue
      const inverseR = 1 / Math.sqrt(r2)
      const inverseR2 = inverseR * inverseR
      const chargeProd = qi * image[s6 + 3]
      energyCoulomb += chargeProd * (inverseR + krf * r2 - crf)
      // dEdR is -(dE/dr)/r as in OpenMM; the force on i is -dEdR (x_j - x_i)
      let dEdR = chargeProd * (inverseR - twoKrf * r2)
      const eps = ei * image[s6 + 5]
      if (eps !== 0) {
        const sigma = sigmaI + image[s6 + 4]
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
      const s3 = 3 * s
      imageForce[s3] += fx; imageForce[s3 + 1] += fy; imageForce[s3 + 2] += fz
    }
    imageForce[i3] += fxi; imageForce[i3 + 1] += fyi; imageForce[i3 + 2] += fzi
  }
  energyOut[0] = energyLJ
  energyOut[1] = energyCoulomb
}
