/**
 * The image array of the Ewald/PME direct-space pair loop
 * (ewald/ewald-pair-range.ts): 8 numbers per
 * neighbour-list image, [x, y, z (nm), charge sqrt(ONE_4PI_EPS0),
 * sigma/2 (nm), 2 sqrt(epsilon), c6 (LJPME, else 0), 0], one cache line
 * per partner. The parameters are refreshed after each neighbour-list build
 * by the kernel; the positions are written every evaluation here.
 *
 * Self-contained on purpose (no imports, no closures, no allocation): the
 * helper thread (shared-function-thread.ts) runs their source text.
 */
/** Numbers per image (see above). */
export const IMAGE_STRIDE = 8

/**
 * Image positions (slots 0..2): x_atom + imageOffset (nm; the atom's wrap
 * shift plus the image's lattice shift, see NeighborList), for images
 * [0, imageCount).
 */
export function fillImagePositions (positionsNm: Float64Array, imageAtom: Int32Array, imageOffsetNm: Float64Array, imageCount: number,
  image: Float64Array): void {
  for (let s = 0; s < imageCount; s++) {
    const a3 = (3 * imageAtom[s]) | 0
    const s3 = (3 * s) | 0
    const s8 = s << 3
    image[s8] = positionsNm[a3] + imageOffsetNm[s3]
    image[(s8 + 1) | 0] = positionsNm[(a3 + 1) | 0] + imageOffsetNm[(s3 + 1) | 0]
    image[(s8 + 2) | 0] = positionsNm[(a3 + 2) | 0] + imageOffsetNm[(s3 + 2) | 0]
  }
}

/**
 * fillImagePositions by whichever of two threads comes first: `ticket[1]`
 * claims the work, `ticket[2]` says it is done; the other thread waits for
 * it, at most 1 ms, then writes the same values itself (the first one is
 * late: descheduled, or failed). `ticket[1]` and `ticket[2]` must be zeroed
 * before each evaluation.
 */
export function fillImagePositionsOnce (ticket: Int32Array, positionsNm: Float64Array, imageAtom: Int32Array, imageOffsetNm: Float64Array,
  imageCount: number, image: Float64Array): void {
  if (Atomics.compareExchange(ticket, 1, 0, 1) === 0) {
    fillImagePositions(positionsNm, imageAtom, imageOffsetNm, imageCount, image)
    Atomics.store(ticket, 2, 1)
    Atomics.notify(ticket, 2)
  } else if (Atomics.load(ticket, 2) === 0 && Atomics.wait(ticket, 2, 0, 1) === 'timed-out' && Atomics.load(ticket, 2) === 0) {
    fillImagePositions(positionsNm, imageAtom, imageOffsetNm, imageCount, image)
  }
}
