/**
 * The pair search of the neighbour list (see NeighborList) over a range of
 * home atoms: for each home, every image within cutoff+skin that belongs to a
 * later home and is not excluded, ordered by class so that the branches of
 * the pair loop are predictable:
 *
 *   1. within the cutoff, at least one of the two without Lennard-Jones;
 *   2. within the switching distance (or the cutoff), both with LJ;
 *   3. between the switching distance and the cutoff, both with LJ;
 *   4. beyond the cutoff (at build time).
 *
 * Self-contained on purpose (no imports, no closures, no allocation): the
 * helper thread of `parallel-pairs.ts` runs its source text, so both threads
 * share one implementation.
 *
 * Images are sorted by cell of a grid whose cells are ordered z fastest, so
 * that the images of a column of cells (fixed x, y; a range of z) are one
 * contiguous run of `xyz`. `grid` = [lowX, lowY, lowZ (nm), 1/cellWidth x, y,
 * z (nm^-1), cellWidth x, y, z (nm), cells x, y, z, reach^2, cutoff^2,
 * switch^2 (nm^2), reach (nm)].
 *
 * Writes start[h] for h in [homeFrom, homeTo) (partner offsets into
 * `neighbors`, beginning at `firstPair`) and start[homeTo]. Returns the pair
 * count end offset, or minus the offset needed when `neighbors` was too
 * small (nothing beyond its length is written; call again with a larger one).
 * `scratch` holds 3 x `scratchStride` Int32 (the partners of classes 2..4 of
 * one home); `scratchStride` must be at least the image count.
 */
export function searchPairRange (
  homeFrom: number, homeTo: number, firstPair: number,
  homeImage: Int32Array, imageKey: Int32Array, imageAtom: Int32Array, xyz: Float64Array, cellStart: Int32Array,
  grid: Float64Array, exclusionStart: Int32Array, exclusionPartners: Int32Array, hasLennardJones: Uint8Array,
  stamp: Int32Array, start: Int32Array, neighbors: Int32Array, scratch: Int32Array, scratchStride: number,
): number {
  const lowX = grid[0]; const lowY = grid[1]; const lowZ = grid[2]
  const inverseWidthX = grid[3]; const inverseWidthY = grid[4]; const inverseWidthZ = grid[5]
  const widthX = grid[6]; const widthY = grid[7]
  const cellsX = grid[9]; const cellsY = grid[10]; const cellsZ = grid[11]
  const reach2 = grid[12]; const cutoff2 = grid[13]; const switch2 = grid[14]; const reach = grid[15]
  const capacity = neighbors.length
  const stride2 = scratchStride
  const stride3 = 2 * scratchStride
  let p = firstPair
  for (let h = homeFrom; h < homeTo; h++) {
    start[h] = p
    const si = homeImage[h]
    const i = imageAtom[si]
    for (let e = exclusionStart[i]; e < exclusionStart[i + 1]; e++) stamp[exclusionPartners[e]] = i
    const iHasLJ = hasLennardJones[i]
    const xi = xyz[3 * si]; const yi = xyz[3 * si + 1]; const zi = xyz[3 * si + 2]
    let n2 = 0; let n3 = 0; let n4 = 0
    let cx0 = Math.floor((xi - reach - lowX) * inverseWidthX); if (cx0 < 0) cx0 = 0
    let cx1 = Math.floor((xi + reach - lowX) * inverseWidthX); if (cx1 > cellsX - 1) cx1 = cellsX - 1
    let cy0 = Math.floor((yi - reach - lowY) * inverseWidthY); if (cy0 < 0) cy0 = 0
    let cy1 = Math.floor((yi + reach - lowY) * inverseWidthY); if (cy1 > cellsY - 1) cy1 = cellsY - 1
    for (let cx = cx0; cx <= cx1; cx++) {
      const cellLowX = lowX + cx * widthX
      const gapX = xi < cellLowX ? cellLowX - xi : (xi > cellLowX + widthX ? xi - cellLowX - widthX : 0)
      const gapX2 = gapX * gapX
      for (let cy = cy0; cy <= cy1; cy++) {
        const cellLowY = lowY + cy * widthY
        const gapY = yi < cellLowY ? cellLowY - yi : (yi > cellLowY + widthY ? yi - cellLowY - widthY : 0)
        const left = reach2 - gapX2 - gapY * gapY
        if (!(left > 0)) continue
        const reachZ = Math.sqrt(left)
        let cz0 = Math.floor((zi - reachZ - lowZ) * inverseWidthZ); if (cz0 < 0) cz0 = 0
        let cz1 = Math.floor((zi + reachZ - lowZ) * inverseWidthZ); if (cz1 > cellsZ - 1) cz1 = cellsZ - 1
        if (cz0 > cz1) continue
        const column = (cx * cellsY + cy) * cellsZ
        const end = cellStart[column + cz1 + 1]
        for (let s = cellStart[column + cz0]; s < end; s++) {
          if (imageKey[s] <= h) continue
          const dx = xyz[3 * s] - xi
          const dy = xyz[3 * s + 1] - yi
          const dz = xyz[3 * s + 2] - zi
          const r2 = dx * dx + dy * dy + dz * dz
          if (r2 >= reach2) continue
          const j = imageAtom[s]
          if (stamp[j] === i) continue
          if (r2 >= cutoff2) {
            scratch[stride3 + n4++] = s
          } else if ((iHasLJ & hasLennardJones[j]) === 0) {
            if (p < capacity) neighbors[p] = s
            p++
          } else if (r2 < switch2) {
            scratch[n2++] = s
          } else {
            scratch[stride2 + n3++] = s
          }
        }
      }
    }
    if (p + n2 + n3 + n4 <= capacity) {
      for (let k = 0; k < n2; k++) neighbors[p++] = scratch[k]
      for (let k = 0; k < n3; k++) neighbors[p++] = scratch[stride2 + k]
      for (let k = 0; k < n4; k++) neighbors[p++] = scratch[stride3 + k]
    } else {
      p += n2 + n3 + n4
    }
  }
  start[homeTo] = p
  return p <= capacity ? p : -p
}
