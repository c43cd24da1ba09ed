/**
 * The Ewald splitting parameter, PME grid and Ewald k-space extent, chosen
 * exactly as OpenMM 7.7 chooses them (NonbondedForceImpl::calcPMEParameters
 * and calcEwaldParameters), from the force's ewaldErrorTolerance, cutoff and
 * the System's *default* box, unless the XML sets them (alpha, nx, ny, nz).
 * OpenMM's Reference platform uses these grid sizes as they are (the CPU
 * platform rounds them up to sizes with factors 2, 3, 5, 7; the FFT here
 * takes any size).
 */
import type { BoxVectors, NonbondedForce } from '../../system.ts'

/** OpenMM's default periodic box when a System has none: 2 nm cube. */
const OPENMM_DEFAULT_BOX: BoxVectors = new Float64Array([2, 0, 0, 0, 2, 0, 0, 0, 2])

/** Smallest PME grid size along any axis. */
const MIN_PME_GRID = 6

export interface PmeParameters {
  /** Ewald splitting parameter alpha, nm^-1. */
  alphaPerNm: number
  gridX: number
  gridY: number
  gridZ: number
}

export interface EwaldParameters {
  /** Ewald splitting parameter alpha, nm^-1. */
  alphaPerNm: number
  /** Number of k vectors along each axis (OpenMM's kmax, odd). */
  kmaxX: number
  kmaxY: number
  kmaxZ: number
}

/** alpha = sqrt(-ln(2 tol)) / cutoff, nm^-1 (computed as OpenMM does, (1/cutoff) * sqrt(...), to the last bit). */
export function ewaldAlphaPerNm (tolerance: number, cutoffNm: number): number {
  return (1 / cutoffNm) * Math.sqrt(-Math.log(2 * tolerance))
}

/**
 * PME parameters: from the force when it sets alpha (> 0) and a grid,
 * otherwise alpha from the tolerance and n = ceil(2 alpha L / (3 tol^(1/5))),
 * at least 6, for L = ax, by, cz of the default box.
 */
export function pmeParameters (force: NonbondedForce, defaultBox: BoxVectors | null): PmeParameters {
  const given = force.pmeAlphaPerNm ?? 0
  if (given !== 0) {
    return {
      alphaPerNm: given,
      gridX: Math.max(force.pmeGridX ?? 0, MIN_PME_GRID),
      gridY: Math.max(force.pmeGridY ?? 0, MIN_PME_GRID),
      gridZ: Math.max(force.pmeGridZ ?? 0, MIN_PME_GRID),
    }
  }
  const box = defaultBox ?? OPENMM_DEFAULT_BOX
  const tolerance = force.ewaldErrorTolerance
  const alpha = ewaldAlphaPerNm(tolerance, force.cutoffNm)
  const size = (length: number): number => Math.max(Math.ceil(2 * alpha * length / (3 * Math.pow(tolerance, 0.2))), MIN_PME_GRID)
  return { alphaPerNm: alpha, gridX: size(box[0]), gridY: size(box[4]), gridZ: size(box[8]) }
}

/**
 * LJPME dispersion parameters: from the force when it sets ljAlpha (> 0),
 * otherwise the same alpha formula and n = ceil(alpha L / (3 tol^(1/5))), at least 6.
 */
export function ljpmeParameters (force: NonbondedForce, defaultBox: BoxVectors | null): PmeParameters {
  const given = force.ljpmeAlphaPerNm ?? 0
  if (given !== 0) {
    return {
      alphaPerNm: given,
      gridX: Math.max(force.ljpmeGridX ?? 0, MIN_PME_GRID),
      gridY: Math.max(force.ljpmeGridY ?? 0, MIN_PME_GRID),
      gridZ: Math.max(force.ljpmeGridZ ?? 0, MIN_PME_GRID),
    }
  }
  const box = defaultBox ?? OPENMM_DEFAULT_BOX
  const tolerance = force.ewaldErrorTolerance
  const alpha = ewaldAlphaPerNm(tolerance, force.cutoffNm)
  const size = (length: number): number => Math.max(Math.ceil(alpha * length / (3 * Math.pow(tolerance, 0.2))), MIN_PME_GRID)
  return { alphaPerNm: alpha, gridX: size(box[0]), gridY: size(box[4]), gridZ: size(box[8]) }
}

/** OpenMM's Ewald error estimate for kmax = arg along a box edge `width`. */
function ewaldError (arg: number, width: number, alpha: number, target: number): number {
  const temp = arg * Math.PI / (width * alpha)
  return target - 0.05 * Math.sqrt(width * alpha) * arg * Math.exp(-temp * temp)
}

/** OpenMM's findZero: the smallest kmax where the error estimate stops being positive, searched from 10. */
function findZero (width: number, alpha: number, target: number): number {
  let arg = 10
  let value = ewaldError(arg, width, alpha, target)
  if (value > 0) {
    while (value > 0 && arg > 0) value = ewaldError(--arg, width, alpha, target)
    return arg + 1
  }
  while (value < 0) value = ewaldError(++arg, width, alpha, target)
  return arg
}

/** Ewald parameters as OpenMM chooses them (kmax made odd). */
export function ewaldParameters (force: NonbondedForce, defaultBox: BoxVectors | null): EwaldParameters {
  const box = defaultBox ?? OPENMM_DEFAULT_BOX
  const tolerance = force.ewaldErrorTolerance
  const alpha = ewaldAlphaPerNm(tolerance, force.cutoffNm)
  const odd = (k: number): number => k % 2 === 0 ? k + 1 : k
  return {
    alphaPerNm: alpha,
    kmaxX: odd(findZero(box[0], alpha, tolerance)),
    kmaxY: odd(findZero(box[4], alpha, tolerance)),
    kmaxZ: odd(findZero(box[8], alpha, tolerance)),
  }
}
