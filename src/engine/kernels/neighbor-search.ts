/**
 * The pair search of the neighbour list (see NeighborList) over a range of
 * home atoms: for each home, every image within cutoff+skin that is not
 * excluded and lies "above" it, ordered by class so that the branches of the
 * pair loop are predictable:
 *
 *   1. within the cutoff, at least one of the two without Lennard-Jones;
 *   2. within the switching distance (or the cutoff), both with LJ;
 *   3. between the switching distance and the cutoff, both with LJ;
 *   4. beyond the cutoff (at build time), in four shells of a quarter of
 *      the skin each, nearest first: while atoms have moved little since the
 *      build, the pair loop can stop before the outer shells (see
 *      `shellEnd`).
 *
 * "Above": image z > home z, or equal z and a later atom. Wrapped homes lie
 * in [0, cz) and ghosts shifted by +c (-c) lie at z >= cz (< 0), so of the
 * two images that make one pair (home i with image of j, home j with image of
 * i shifted back) exactly one is above its home: each pair is listed once.
 * Cell layers are monotonic in z, so layers below the home's are skipped
 * and each column is scanned from the home's layer up, one contiguous run,
 * testing dz > 0 without a branch (which only the home's own layer needs).
 *
 * Self-contained on purpose (no imports, no closures, no allocation): the
 * helper thread of `parallel-pairs.ts` runs its source text, so both threads
 * share one implementation.
 *
 * Images are sorted by cell of a grid whose cells are ordered z fastest, so
 * that the images of a column of cells (fixed x, y; a range of z) are one
 * contiguous run of `xyz`. `grid` = [lowX, lowY, lowZ (nm), 1/cellWidth x, y,
 * z (nm^-1), cellWidth x, y, z (nm), cells x, y, z, reach^2, cutoff^2,
 * switch^2 (nm^2), reach (nm), squared radii of the shells 1..3 (nm^2)].
 *
 * Writes start[h] for h in [homeFrom, homeTo) (partner offsets into
 * `neighbors`, beginning at `firstPair`) and start[homeTo], and
 * pairedStart[h], the offset of class 2 (partners of h before it are within
 * the cutoff and at least one of the two has no Lennard-Jones), and
 * shellEnd[4h + k], the end of shell k of class 4 (shellEnd[4h + 3] is the
 * home's end). Returns the pair
 * count end offset, or minus the offset needed when `neighbors` was too
 * small (nothing beyond its length is written; call again with a larger one).
 * `scratch` holds 8 x `scratchStride` Int32 and `scratchDistance2`
 * `scratchStride` float64; `scratchStride` must be at least the image count.
 */
export function searchPairRange (
  homeFrom: number, homeTo: number, firstPair: number,
  homeImage: Int32Array, imageAtom: Int32Array, xyz: Float64Array, cellStart: Int32Array,
  grid: Float64Array, exclusionStart: Int32Array, exclusionPartners: Int32Array, hasLennardJones: Uint8Array,
  stamp: Int32Array, start: Int32Array, pairedStart: Int32Array, shellEnd: Int32Array, neighbors: Int32Array, scratch: Int32Array,
  scratchDistance2: Float64Array,
  scratchStride: number,
): number {
  const lowX = grid[0]; const lowY = grid[1]; const lowZ = grid[2]
  const inverseWidthX = grid[3]; const inverseWidthY = grid[4]; const inverseWidthZ = grid[5]
  const widthX = grid[6]; const widthY = grid[7]
  const cellsX = grid[9] | 0; const cellsY = grid[10] | 0; const cellsZ = grid[11] | 0
  const reach2 = grid[12]; const cutoff2 = grid[13]; const switch2 = grid[14]; const reach = grid[15]
  const shell1 = grid[16]; const shell2 = grid[17]; const shell3 = grid[18]
  const capacity = neighbors.length
  const stride1 = scratchStride; const stride2 = 2 * scratchStride; const stride3 = 3 * scratchStride; const stride4 = 4 * scratchStride
  const stride5 = 5 * scratchStride; const stride6 = 6 * scratchStride; const stride7 = 7 * scratchStride
  let p = firstPair
  for (let h = homeFrom; h < homeTo; h++) {
    start[h] = p
    const si = homeImage[h]
    const i = imageAtom[si]
    const xi = xyz[3 * si]; const yi = xyz[3 * si + 1]; const zi = xyz[3 * si + 2]
    // the home's layer, exactly as the images were binned
    let layer = Math.floor((zi - lowZ) * inverseWidthZ)
    if (!(layer >= 0)) layer = 0; else if (layer >= cellsZ) layer = cellsZ - 1
    let cx0 = Math.floor((xi - reach - lowX) * inverseWidthX); if (!(cx0 >= 0)) cx0 = 0
    let cx1 = Math.floor((xi + reach - lowX) * inverseWidthX); if (!(cx1 <= cellsX - 1)) cx1 = cellsX - 1
    let cy0 = Math.floor((yi - reach - lowY) * inverseWidthY); if (!(cy0 >= 0)) cy0 = 0
    let cy1 = Math.floor((yi + reach - lowY) * inverseWidthY); if (!(cy1 <= cellsY - 1)) cy1 = cellsY - 1
    // 1. images within reach, above the home (scratch[0..hits))
    let hits = 0
    for (let cx = cx0; cx <= cx1; cx++) {
      const cellLowX = lowX + cx * widthX
      const gapX = xi < cellLowX ? cellLowX - xi : (xi > cellLowX + widthX ? xi - cellLowX - widthX : 0)
      const gapX2 = gapX * gapX
      for (let cy = cy0; cy <= cy1; cy++) {
        const cellLowY = lowY + cy * widthY
        const gapY = yi < cellLowY ? cellLowY - yi : (yi > cellLowY + widthY ? yi - cellLowY - widthY : 0)
        const left = reach2 - gapX2 - gapY * gapY
        if (!(left > 0)) continue
        let cz1 = Math.floor((zi + Math.sqrt(left) - lowZ) * inverseWidthZ); if (cz1 > cellsZ - 1) cz1 = cellsZ - 1
        if (cz1 < layer) continue
        const column = (cx * cellsY + cy) * cellsZ
        // from the home's own layer up: images in higher layers lie above the home; in its own layer only those with
        // larger z count (or equal z and a later atom: rare, so that test may branch)
        const end = cellStart[column + cz1 + 1]
        for (let s = cellStart[column + layer]; s < end; s++) {
          const dx = xyz[3 * s] - xi
          const dy = xyz[3 * s + 1] - yi
          const dz = xyz[3 * s + 2] - zi
          const r2 = dx * dx + dy * dy + dz * dz
          scratch[hits] = s
          scratchDistance2[hits] = r2
          // (comparisons combined with & count 1 or 0, without a branch)
          hits += ((r2 < reach2) as unknown as number) & ((dz > 0) as unknown as number)
          if (dz === 0) hits += ((r2 < reach2) as unknown as number) & ((imageAtom[s] > i) as unknown as number)
        }
      }
    }
    // 2. drop exclusions, sort the rest by class into scratch[(1 + class) * stride ..]: each partner is
    // written to all four classes and only its own class's count advances (no branch, no chain through memory)
    for (let e = exclusionStart[i]; e < exclusionStart[i + 1]; e++) stamp[exclusionPartners[e]] = i
    const iHasLJ = hasLennardJones[i]
    let n0 = stride1; let n1 = stride2; let n2 = stride3; let n3 = stride4; let n4 = stride5; let n5 = stride6; let n6 = stride7
    for (let k = 0; k < hits; k++) {
      const s = scratch[k]
      const j = imageAtom[s]
      const r2 = scratchDistance2[k]
      const keep = ((stamp[j] !== i) as unknown as number) | 0
      const within = keep & ((r2 < cutoff2) as unknown as number | 0)
      const both = within & iHasLJ & hasLennardJones[j]
      const inner = both & ((r2 < switch2) as unknown as number | 0)
      const beyond = keep - within
      const outer1 = beyond & ((r2 >= shell1) as unknown as number | 0)
      const outer2 = beyond & ((r2 >= shell2) as unknown as number | 0)
      const outer3 = beyond & ((r2 >= shell3) as unknown as number | 0)
      scratch[n0] = s; scratch[n1] = s; scratch[n2] = s; scratch[n3] = s; scratch[n4] = s; scratch[n5] = s; scratch[n6] = s
      // class 0: within, not both LJ; 1: both LJ within switch; 2: both LJ beyond switch; 3..6: beyond the cutoff, shell 0..3
      n0 += within - both
      n1 += inner
      n2 += both - inner
      n3 += beyond - outer1
      n4 += outer1 - outer2
      n5 += outer2 - outer3
      n6 += outer3
    }
    // 3. append class by class
    const inside = (n0 - stride1) + (n1 - stride2) + (n2 - stride3)
    pairedStart[h] = p + (n0 - stride1)
    shellEnd[4 * h] = p + inside + (n3 - stride4)
    shellEnd[4 * h + 1] = shellEnd[4 * h] + (n4 - stride5)
    shellEnd[4 * h + 2] = shellEnd[4 * h + 1] + (n5 - stride6)
    shellEnd[4 * h + 3] = shellEnd[4 * h + 2] + (n6 - stride7)
    if (shellEnd[4 * h + 3] <= capacity) {
      for (let k = stride1; k < n0; k++) neighbors[p++] = scratch[k]
      for (let k = stride2; k < n1; k++) neighbors[p++] = scratch[k]
      for (let k = stride3; k < n2; k++) neighbors[p++] = scratch[k]
      for (let k = stride4; k < n3; k++) neighbors[p++] = scratch[k]
      for (let k = stride5; k < n4; k++) neighbors[p++] = scratch[k]
      for (let k = stride6; k < n5; k++) neighbors[p++] = scratch[k]
      for (let k = stride7; k < n6; k++) neighbors[p++] = scratch[k]
    } else {
      p = shellEnd[4 * h + 3]
    }
  }
  start[homeTo] = p
  return p <= capacity ? p : -p
}

/**
 * searchPairRange over homes [homeFrom, homeTo) in chunks of 64 homes, in
 * order (the same list): many short calls let the JIT optimize
 * searchPairRange as a whole early instead of running a once-per-build long
 * call in on-stack-replaced code. Returns as searchPairRange.
 */
export function searchPairRangeInChunks (
  homeFrom: number, homeTo: number, firstPair: number,
  homeImage: Int32Array, imageAtom: Int32Array, xyz: Float64Array, cellStart: Int32Array,
  grid: Float64Array, exclusionStart: Int32Array, exclusionPartners: Int32Array, hasLennardJones: Uint8Array,
  stamp: Int32Array, start: Int32Array, pairedStart: Int32Array, shellEnd: Int32Array, neighbors: Int32Array, scratch: Int32Array,
  scratchDistance2: Float64Array,
  scratchStride: number,
): number {
  let p = firstPair
  let full = false
  for (let from = homeFrom; from < homeTo; from += 64) {
    const end = searchPairRange(from, Math.min(from + 64, homeTo), p, homeImage, imageAtom, xyz, cellStart, grid, exclusionStart,
      exclusionPartners, hasLennardJones, stamp, start, pairedStart, shellEnd, neighbors, scratch, scratchDistance2, scratchStride)
    // when `neighbors` is full, keep counting (searchPairRange writes nothing beyond it) to return the whole offset needed
    if (end < 0) full = true
    p = end < 0 ? -end : end
  }
  start[homeTo] = p
  return full ? -p : p
}
