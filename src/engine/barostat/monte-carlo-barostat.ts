/**
 * Isotropic Monte Carlo barostat, exactly as OpenMM 7.7's
 * MonteCarloBarostatImpl::updateContextState with the Reference kernel
 * (ReferenceMonteCarloBarostat):
 *
 * Every `frequency` steps (counted at the start of each step): a random
 * volume change dV uniform in [-s, s] (s starts at 1% of the volume),
 * lengths scaled by (V'/V)^(1/3); every molecule (atoms joined by
 * constraints or HarmonicBondForce bonds) is translated so that its
 * centre (unweighted mean of its atoms) is scaled, keeping its shape; the box
 * vectors are scaled. The move is accepted with the Metropolis criterion on
 *   w = E' - E + P dV - N_molecules kT ln(V'/V)
 * (P in kJ/mol/nm^3 = bar * N_A * 1e-25), otherwise positions and box are
 * restored. After every 10 attempts s shrinks by 1.1 when fewer than 25% were
 * accepted and grows by 1.1 (at most 30% of V) when more than 75% were.
 *
 * Random numbers come from the engine's own generator (OpenMM's stream cannot
 * be reproduced), so runs agree with OpenMM in distribution, not step by step.
 *
 * @example
 * const barostat = new MonteCarloBarostatUpdater(system, force, seed)
 * // at the start of every step:
 * if (barostat.update(positionsNm, box, () => currentEnergy, evaluator)) invalidateCachedForces()
 */
import { InvalidSystemError } from '../errors.ts'
import type { ForceEvaluator } from '../force-evaluator.ts'
import { FORCE_GROUP_COUNT } from '../kernels/kernel.ts'
import { BOLTZMANN_KJ_PER_MOL_K } from '../kinetic.ts'
import { Rng, RNG_STATE_WORDS } from '../rng.ts'
import { usesPeriodicBoundaryConditions, type BoxVectors, type MonteCarloBarostat, type System } from '../system.ts'
import { findMolecules, type Molecules } from './molecules.ts'

/** bar -> kJ/mol/nm^3 (OpenMM: AVOGADRO * 1e-25). */
export const BAR_TO_KJ_PER_MOL_NM3 = 6.02214076e23 * 1e-25
/** Attempts between adjustments of the trial volume range. */
const ADAPT_EVERY = 10
/** First word of a saved barostat state ("BARO"). */
const BAROSTAT_STATE_TAG = 0x4241524f
/** Words of a saved barostat state: the tag, the generator, the trial volume range (f64), attempted, accepted, steps since the last attempt. */
export const BAROSTAT_STATE_WORDS = 1 + RNG_STATE_WORDS + 2 + 3

export class MonteCarloBarostatUpdater {
  readonly frequency: number
  readonly pressureKJPerMolNm3: number
  readonly kT: number
  readonly molecules: Molecules
  /** Half-width of the trial volume change, nm^3 (0 until the first update). */
  volumeScaleNm3 = 0
  attempted = 0
  accepted = 0
  /** Totals since construction, for diagnostics. */
  totalAttempted = 0
  totalAccepted = 0
  private stepsSinceAttempt = 0
  private readonly rng: Rng
  private readonly savedPositions: Float64Array
  private readonly savedBox = new Float64Array(9)
  private readonly trialForces: Float64Array
  private readonly trialEnergies = new Float64Array(FORCE_GROUP_COUNT)
  private readonly centre = new Float64Array(3)

  constructor (system: System, barostat: MonteCarloBarostat, seed: number) {
    if (!usesPeriodicBoundaryConditions(system)) {
      throw new InvalidSystemError('A MonteCarloBarostat needs a periodic system (a NonbondedForce with PME, Ewald or CutoffPeriodic).')
    }
    this.frequency = barostat.frequency
    this.pressureKJPerMolNm3 = barostat.pressureBar * BAR_TO_KJ_PER_MOL_NM3
    this.kT = BOLTZMANN_KJ_PER_MOL_K * barostat.temperatureK
    this.molecules = findMolecules(system)
    this.rng = new Rng(seed)
    this.savedPositions = new Float64Array(3 * system.particleCount)
    this.trialForces = new Float64Array(3 * system.particleCount)
  }

  /**
   * Call at the start of every step. Every `frequency` calls it tries a
   * volume move on `positionsNm` and `box` (changed in place when accepted).
   * `currentEnergy` gives the potential energy (kJ/mol) at the current
   * positions and box. Returns true when positions and box changed.
   */
  update (positionsNm: Float64Array, box: BoxVectors, currentEnergy: () => number, evaluator: ForceEvaluator): boolean {
    if (this.frequency === 0 || ++this.stepsSinceAttempt < this.frequency) return false
    this.stepsSinceAttempt = 0
    const volume = box[0] * box[4] * box[8]
    if (this.volumeScaleNm3 === 0) this.volumeScaleNm3 = 0.01 * volume
    const initialEnergy = currentEnergy()
    const deltaVolume = this.volumeScaleNm3 * 2 * (this.rng.nextDouble() - 0.5)
    const newVolume = volume + deltaVolume
    const lengthScale = Math.cbrt(newVolume / volume)
    this.savedPositions.set(positionsNm)
    this.savedBox.set(box)
    this.scaleMoleculeCentres(positionsNm, lengthScale)
    for (let k = 0; k < 9; k++) box[k] *= lengthScale
    const finalEnergy = evaluator.evaluate(positionsNm, box, this.trialForces, this.trialEnergies)
    const kT = this.kT
    const w = finalEnergy - initialEnergy + this.pressureKJPerMolNm3 * deltaVolume -
      this.molecules.count * kT * Math.log(newVolume / volume)
    let accepted = true
    if (!(w <= 0) && !(this.rng.nextDouble() <= Math.exp(-w / kT))) {
      positionsNm.set(this.savedPositions)
      box.set(this.savedBox)
      accepted = false
    } else {
      this.accepted++
      this.totalAccepted++
    }
    this.attempted++
    this.totalAttempted++
    if (this.attempted >= ADAPT_EVERY) {
      if (this.accepted < 0.25 * this.attempted) {
        this.volumeScaleNm3 /= 1.1
        this.attempted = 0
        this.accepted = 0
      } else if (this.accepted > 0.75 * this.attempted) {
        this.volumeScaleNm3 = Math.min(this.volumeScaleNm3 * 1.1, volume * 0.3)
        this.attempted = 0
        this.accepted = 0
      }
    }
    return accepted
  }

  /**
   * Everything a resumed run needs to continue this barostat's moves exactly (BAROSTAT_STATE_WORDS words):
   * its random generator, the adapted trial volume range, the attempt counters.
   */
  state (): Uint32Array {
    const out = new Uint32Array(BAROSTAT_STATE_WORDS)
    out[0] = BAROSTAT_STATE_TAG
    out.set(this.rng.state(), 1)
    const at = 1 + RNG_STATE_WORDS
    new Float64Array(out.buffer, 4 * at, 1)[0] = this.volumeScaleNm3
    out[at + 2] = this.attempted
    out[at + 3] = this.accepted
    out[at + 4] = this.stepsSinceAttempt
    return out
  }

  /** Continues from a saved `state()`. RangeError when `words` is not one. */
  setState (words: Uint32Array): void {
    if (words.length !== BAROSTAT_STATE_WORDS || words[0] !== BAROSTAT_STATE_TAG) {
      throw new RangeError(`A saved barostat state has ${BAROSTAT_STATE_WORDS} words and starts with its tag.`)
    }
    const at = 1 + RNG_STATE_WORDS
    const copy = Uint32Array.from(words)
    const volumeScaleNm3 = new Float64Array(copy.buffer, 4 * at, 1)[0]
    if (!(Number.isFinite(volumeScaleNm3) && volumeScaleNm3 >= 0)) throw new RangeError(`A saved barostat volume range must be finite and >= 0, got ${volumeScaleNm3}`)
    this.rng.setState(copy.subarray(1, at))
    this.volumeScaleNm3 = volumeScaleNm3
    this.attempted = copy[at + 2]
    this.accepted = copy[at + 3]
    this.stepsSinceAttempt = copy[at + 4]
  }

  /** Moves every molecule rigidly so that its centre is multiplied by `scale`. */
  private scaleMoleculeCentres (positionsNm: Float64Array, scale: number): void {
    const { start, atoms, count } = this.molecules
    const centre = this.centre
    for (let m = 0; m < count; m++) {
      centre[0] = 0; centre[1] = 0; centre[2] = 0
      for (let k = start[m]; k < start[m + 1]; k++) {
        const a = 3 * atoms[k]
        centre[0] += positionsNm[a]; centre[1] += positionsNm[a + 1]; centre[2] += positionsNm[a + 2]
      }
      const size = start[m + 1] - start[m]
      const factor = (scale - 1) / size
      const ox = centre[0] * factor; const oy = centre[1] * factor; const oz = centre[2] * factor
      for (let k = start[m]; k < start[m + 1]; k++) {
        const a = 3 * atoms[k]
        positionsNm[a] += ox; positionsNm[a + 1] += oy; positionsNm[a + 2] += oz
      }
    }
  }
}
