/**
 * Periodic box vectors (nm) in OpenMM's reduced form, the only form kernels
 * accept: a = (ax, 0, 0), b = (bx, by, 0), c = (cx, cy, cz), ax, by, cz > 0,
 * |bx| <= ax/2, |cx| <= ax/2, |cy| <= by/2. Stored row-major in a
 * Float64Array(9) (see `BoxVectors` in `./system.ts`).
 */
import { InvalidBoxError } from './errors.ts'
import type { BoxVectors } from './system.ts'

const DEG_TO_RAD = Math.PI / 180

/** Python's round(): halves go to the even neighbour (OpenMM's unitcell.py uses it). */
function roundHalfEven (x: number): number {
  const r = Math.round(x)
  return (Math.abs(x % 1) === 0.5 && r % 2 !== 0) ? r - 1 : r
}

/**
 * Box vectors from crystallographic lengths (nm) and angles (degrees), as
 * OpenMM's `computePeriodicBoxVectors` does (used for PDB CRYST1), reduced.
 */
export function boxFromLengthsAndAngles (aNm: number, bNm: number, cNm: number,
  alphaDeg: number, betaDeg: number, gammaDeg: number): BoxVectors {
  for (const [label, v] of [['a', aNm], ['b', bNm], ['c', cNm]] as const) {
    if (!Number.isFinite(v) || v <= 0) throw new InvalidBoxError(`Unit cell length ${label} = ${v} nm is not a positive number.`)
  }
  for (const [label, v] of [['alpha', alphaDeg], ['beta', betaDeg], ['gamma', gammaDeg]] as const) {
    if (!Number.isFinite(v) || v <= 0 || v >= 180) throw new InvalidBoxError(`Unit cell angle ${label} = ${v} degrees must lie strictly between 0 and 180.`)
  }
  const alpha = alphaDeg * DEG_TO_RAD
  const beta = betaDeg * DEG_TO_RAD
  const gamma = gammaDeg * DEG_TO_RAD
  const box = new Float64Array(9)
  box[0] = aNm
  box[3] = bNm * Math.cos(gamma)
  box[4] = bNm * Math.sin(gamma)
  const cx = cNm * Math.cos(beta)
  const cy = cNm * (Math.cos(alpha) - Math.cos(beta) * Math.cos(gamma)) / Math.sin(gamma)
  const cz2 = cNm * cNm - cx * cx - cy * cy
  if (!(cz2 > 0)) throw new InvalidBoxError(`Unit cell angles alpha=${alphaDeg}, beta=${betaDeg}, gamma=${gammaDeg} degrees do not describe a real (non-degenerate) cell.`)
  box[6] = cx
  box[7] = cy
  box[8] = Math.sqrt(cz2)
  // As OpenMM: components very close to zero become exactly zero.
  for (let i = 0; i < 9; i++) if (Math.abs(box[i]) < 1e-6) box[i] = 0
  return reduceBox(box)
}

/**
 * The equivalent reduced-form box (a new array). The input must already be
 * lower triangular (a along x, b in the xy plane) with positive diagonal;
 * otherwise InvalidBoxError.
 */
export function reduceBox (box: BoxVectors): BoxVectors {
  checkTriangular(box)
  const out = Float64Array.from(box)
  // c -= b * round(cy / by); c -= a * round(cx / ax); b -= a * round(bx / ax)
  let k = roundHalfEven(out[7] / out[4])
  out[6] -= k * out[3]; out[7] -= k * out[4]
  k = roundHalfEven(out[6] / out[0])
  out[6] -= k * out[0]
  k = roundHalfEven(out[3] / out[0])
  out[3] -= k * out[0]
  return out
}

function checkTriangular (box: BoxVectors): void {
  if (box.length !== 9) throw new InvalidBoxError(`A periodic box needs 9 numbers (three vectors), got ${box.length}.`)
  for (let i = 0; i < 9; i++) {
    if (!Number.isFinite(box[i])) throw new InvalidBoxError(`Periodic box vector component ${'abc'[Math.floor(i / 3)]}${'xyz'[i % 3]} is ${box[i]}; the box must be finite.`)
  }
  if (box[1] !== 0 || box[2] !== 0) throw new InvalidBoxError('The first periodic box vector (a) must lie along x: a = (ax, 0, 0).')
  if (box[5] !== 0) throw new InvalidBoxError('The second periodic box vector (b) must lie in the xy plane: b = (bx, by, 0).')
  if (!(box[0] > 0 && box[4] > 0 && box[8] > 0)) {
    throw new InvalidBoxError(`The periodic box is degenerate: ax=${box[0]}, by=${box[4]}, cz=${box[8]} nm must all be positive.`)
  }
}

/**
 * Throws InvalidBoxError unless `box` is a finite, non-degenerate box in
 * reduced form and, when `cutoffNm` is given, at least twice the cutoff
 * across in every direction (OpenMM's rule for periodic nonbonded methods).
 */
export function validateBox (box: BoxVectors, cutoffNm?: number): void {
  checkTriangular(box)
  const ax = box[0]; const bx = box[3]; const by = box[4]; const cx = box[6]; const cy = box[7]
  // A little slack for rounding, as reduced boxes computed elsewhere may sit exactly on the bound.
  const slack = 1e-12
  if (Math.abs(bx) > ax / 2 * (1 + slack) || Math.abs(cx) > ax / 2 * (1 + slack) || Math.abs(cy) > by / 2 * (1 + slack)) {
    throw new InvalidBoxError('The periodic box is not in reduced form (|bx| <= ax/2, |cx| <= ax/2, |cy| <= by/2); reduce it first, e.g. with OpenMM\'s reducePeriodicBoxVectors.')
  }
  if (cutoffNm !== undefined) {
    const minWidth = Math.min(ax, by, box[8])
    if (cutoffNm > 0.5 * minWidth) {
      throw new InvalidBoxError(`The nonbonded cutoff ${cutoffNm} nm is more than half the periodic box width ${minWidth} nm; use a larger box or a shorter cutoff.`)
    }
  }
}

/** Box volume ax * by * cz, nm^3. */
export function boxVolumeNm3 (box: BoxVectors): number {
  return box[0] * box[4] * box[8]
}

/** Lengths (nm) and angles (degrees) of a box, as OpenMM's computeLengthsAndAngles (for CRYST1). */
export function boxLengthsAndAngles (box: BoxVectors): { aNm: number, bNm: number, cNm: number, alphaDeg: number, betaDeg: number, gammaDeg: number } {
  const a = Math.hypot(box[0], box[1], box[2])
  const b = Math.hypot(box[3], box[4], box[5])
  const c = Math.hypot(box[6], box[7], box[8])
  const dot = (i: number, j: number): number => box[i] * box[j] + box[i + 1] * box[j + 1] + box[i + 2] * box[j + 2]
  const acos = (x: number): number => Math.acos(Math.max(-1, Math.min(1, x)))
  return {
    aNm: a,
    bNm: b,
    cNm: c,
    alphaDeg: acos(dot(3, 6) / (b * c)) / DEG_TO_RAD,
    betaDeg: acos(dot(0, 6) / (a * c)) / DEG_TO_RAD,
    gammaDeg: acos(dot(0, 3) / (a * b)) / DEG_TO_RAD,
  }
}
