/**
 * Plausibility checks on frames a node uploads, run before a chunk is
 * stored (the codec already refuses NaN/infinite values and bad checksums).
 * They catch a broken or blown-up run and crude forgeries: coordinates
 * flung far away, energies no molecule has, negative temperatures, a box
 * with a non-positive edge, time running backwards. They cannot catch a
 * node that fakes plausible physics (see SECURITY.md).
 */
import type { Frame } from '../../src/engine/frame.ts'

export interface ResultChecks {
  /** Largest |coordinate|, nm. Real systems span at most a few hundred nm. */
  readonly maxAbsCoordinateNm: number
  /** Largest |potential energy| per atom, kJ/mol (a bonded, stable system sits far below 1e3). */
  readonly maxAbsPotentialPerAtomKjPerMol: number
  /** Largest kinetic energy per atom, kJ/mol (1.5 kT is 3.7 at 300 K). */
  readonly maxKineticPerAtomKjPerMol: number
  /** Highest plausible instantaneous temperature, K. */
  readonly maxTemperatureK: number
}

export const DEFAULT_RESULT_CHECKS: ResultChecks = Object.freeze({
  maxAbsCoordinateNm: 1e4,
  maxAbsPotentialPerAtomKjPerMol: 1e6,
  maxKineticPerAtomKjPerMol: 1e5,
  maxTemperatureK: 1e5,
})

/** Frames refused as physically implausible; `message` says which frame and value. */
export class ImplausibleResultError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ImplausibleResultError'
  }
}

/** Throws ImplausibleResultError naming the first frame and value that fail a check. */
export function checkResultFrames (frames: readonly Frame[], checks: ResultChecks = DEFAULT_RESULT_CHECKS): void {
  let previousTimePs = Number.NEGATIVE_INFINITY
  for (let f = 0; f < frames.length; f++) {
    const frame = frames[f]
    const atoms = frame.positionsNm.length / 3
    const fail = (what: string): never => { throw new ImplausibleResultError(`frame ${f} (step ${frame.step}): ${what}`) }
    if (!Number.isFinite(frame.potentialEnergy) || !Number.isFinite(frame.kineticEnergy) || !Number.isFinite(frame.temperatureK) || !Number.isFinite(frame.timePs)) fail('an energy, the temperature or the time is not a finite number')
    if (Math.abs(frame.potentialEnergy) > checks.maxAbsPotentialPerAtomKjPerMol * atoms) fail(`potential energy ${frame.potentialEnergy} kJ/mol is beyond ±${checks.maxAbsPotentialPerAtomKjPerMol} kJ/mol per atom (the run blew up?)`)
    if (frame.kineticEnergy < 0 || frame.kineticEnergy > checks.maxKineticPerAtomKjPerMol * atoms) fail(`kinetic energy ${frame.kineticEnergy} kJ/mol is negative or beyond ${checks.maxKineticPerAtomKjPerMol} kJ/mol per atom`)
    if (frame.temperatureK < 0 || frame.temperatureK > checks.maxTemperatureK) fail(`temperature ${frame.temperatureK} K is outside [0, ${checks.maxTemperatureK}] K`)
    if (frame.timePs < previousTimePs) fail(`time ${frame.timePs} ps runs backwards (previous frame ${previousTimePs} ps)`)
    previousTimePs = frame.timePs
    if (frame.box != null) {
      for (let k = 0; k < 9; k++) if (!Number.isFinite(frame.box[k])) fail('a box vector component is not a finite number')
      if (frame.box[0] <= 0 || frame.box[4] <= 0 || frame.box[8] <= 0) fail(`box edges ${frame.box[0]}, ${frame.box[4]}, ${frame.box[8]} nm are not all positive`)
    }
    const positions = frame.positionsNm
    const limit = checks.maxAbsCoordinateNm
    for (let i = 0; i < positions.length; i++) {
      const x = positions[i]
      // NaN fails both comparisons: caught by the first test.
      if (!(x <= limit && x >= -limit)) fail(`atom ${Math.floor(i / 3)} has coordinate ${x} nm, beyond ±${limit} nm`)
    }
  }
}
