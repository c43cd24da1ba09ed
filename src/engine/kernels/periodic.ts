/**
 * Periodic minimum image for OpenMM reduced-form boxes (rectangular or
 * triclinic): a = (ax,0,0), b = (bx,by,0), c = (cx,cy,cz).
 *
 * OpenMM reduces a separation vector by subtracting c, then b, then a, each
 * rounded on its diagonal component (ReferenceForce::getDeltaRPeriodic,
 * CpuNonbondedForce::getDeltaR). For a reduced-form box this maps any
 * separation to the unique lattice representative in the brick
 * [-ax/2,ax/2) x [-by/2,by/2) x [-cz/2,cz/2), which equals the true minimum
 * image whenever that is shorter than half the smallest of ax, by, cz (the
 * largest cutoff OpenMM allows). It depends only on the separation, so it is
 * translation invariant wherever atoms lie.
 */
import type { BoxVectors } from '../system.ts'

/**
 * Reduces the separation stored at `delta[offset..offset+2]` (nm) in place to
 * its periodic image, as OpenMM does. Returns the squared length, nm^2.
 */
export function minimumImageInPlace (delta: Float64Array, offset: number, box: BoxVectors): number {
  let dx = delta[offset]
  let dy = delta[offset + 1]
  let dz = delta[offset + 2]
  const nc = Math.floor(dz / box[8] + 0.5)
  dx -= nc * box[6]; dy -= nc * box[7]; dz -= nc * box[8]
  const nb = Math.floor(dy / box[4] + 0.5)
  dx -= nb * box[3]; dy -= nb * box[4]
  const na = Math.floor(dx / box[0] + 0.5)
  dx -= na * box[0]
  delta[offset] = dx
  delta[offset + 1] = dy
  delta[offset + 2] = dz
  return dx * dx + dy * dy + dz * dz
}

/**
 * The separation positionsNm[to3..] - positionsNm[from3..] (nm; `from3`, `to3` are 3 × the atom index),
 * reduced to its minimum image when `box` is given (null: plain difference), written to out[offset..offset+2].
 * Returns its squared length, nm^2.
 */
export function displacementInto (positionsNm: Float64Array, from3: number, to3: number, box: BoxVectors | null,
  out: Float64Array, offset: number): number {
  const dx = positionsNm[to3] - positionsNm[from3]
  const dy = positionsNm[to3 + 1] - positionsNm[from3 + 1]
  const dz = positionsNm[to3 + 2] - positionsNm[from3 + 2]
  out[offset] = dx
  out[offset + 1] = dy
  out[offset + 2] = dz
  return box === null ? dx * dx + dy * dy + dz * dz : minimumImageInPlace(out, offset, box)
}

/** Box volume ax*by*cz, nm^3 (reduced form). */
export function reducedBoxVolumeNm3 (box: BoxVectors): number {
  return box[0] * box[4] * box[8]
}

/**
 * Shortest of ax, by, cz, nm: every non-zero lattice vector of a reduced-form
 * box is at least this long, and OpenMM requires it to be >= 2 x cutoff.
 */
export function smallestBoxWidthNm (box: BoxVectors): number {
  return Math.min(box[0], box[4], box[8])
}
