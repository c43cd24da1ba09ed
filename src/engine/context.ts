/**
 * A Context owns one simulation's changing state (positions, velocities,
 * box, step, time) and steps it with the integrator, after OpenMM's
 * `Context`. Each step, as OpenMM 7.7's integrators do it:
 *
 *   1. CMMotionRemover: when step % frequency == 0, subtract the
 *      centre-of-mass velocity from every particle with mass;
 *   2. forces at the current positions (all force groups);
 *   3. the integrator kernel moves positions and velocities;
 *   4. step += 1, time += dt.
 *
 * Forces at the current positions are cached (and checked against a copy of
 * the positions and box), so reporting energies after a step costs no extra
 * force evaluation for the next step.
 *
 * @example
 * const context = new Context(system, integrator, state, { seed: 1 })
 * context.stepIntegrator(1000)
 * const { potentialEnergy } = context.computeForces()
 */
import { BAROSTAT_STATE_WORDS, MonteCarloBarostatUpdater } from './barostat/monte-carlo-barostat.ts'
import { ConstraintSet } from './constraints/constraint-set.ts'
import { ConstraintFailureError, ParticleCountMismatchError, SimulationBlowUpError } from './errors.ts'
import { ForceEvaluator } from './force-evaluator.ts'
import { createIntegratorKernel, inverseMassesOf, isStochastic, type IntegratorKernel } from './integrators/index.ts'
import type { IntegratorSpec } from './integrator-spec.ts'
import { ALL_FORCE_GROUPS, FORCE_GROUP_COUNT } from './kernels/kernel.ts'
import {
  BOLTZMANN_KJ_PER_MOL_K, degreesOfFreedom, kineticEnergyTimeShiftPs, shiftedKineticEnergy, temperatureFromKineticEnergy,
} from './kinetic.ts'
import { Rng, RNG_STATE_WORDS } from './rng.ts'
import type { SimulationState } from './state.ts'
import type { BoxVectors, CMMotionRemover, MonteCarloBarostat, System } from './system.ts'

/** Largest force (kJ/mol/nm) on any particle before a run counts as blown up. */
export const BLOW_UP_FORCE_KJ_PER_MOL_NM = 1e8

/**
 * When CCMA gives up with a bond still off by more than this fraction of its
 * length, the structure has exploded (SimulationBlowUpError); smaller misses
 * are a convergence failure (ConstraintFailureError).
 */
export const EXPLODED_CONSTRAINT_RELATIVE_ERROR = 0.1

/** Tolerance OpenMM's setVelocitiesToTemperature uses for velocity constraints. */
const VELOCITY_CONSTRAINT_TOLERANCE = 1e-5

export interface ContextOptions {
  /**
   * Seed of the stochastic integrators' random numbers. Default: the
   * integrator's randomSeed when non-zero, else a random one.
   */
  seed?: number
  /**
   * Threads for force evaluation: 1, 2 or 'auto' (default; see
   * ForceEvaluator). Results do not depend on it.
   */
  threads?: number | 'auto'
}

export interface ForceResult {
  /** kJ/mol, of the selected groups */
  potentialEnergy: number
  /** kJ/mol per force group (length 32) */
  energyByGroup: Float64Array
  /** kJ/mol/nm, length 3N */
  forces: Float64Array
}

export class Context {
  readonly system: System
  readonly integrator: IntegratorSpec
  /** nm, length 3N */
  positionsNm: Float64Array
  /** nm/ps, length 3N (at t - dt/2 for the leapfrog integrators, as in OpenMM) */
  velocitiesNmPerPs: Float64Array
  box: BoxVectors | null
  step: number
  timePs: number

  private readonly evaluator: ForceEvaluator
  /** The MonteCarloBarostat's volume moves (null without one), tried at the start of steps. */
  readonly barostat: MonteCarloBarostatUpdater | null
  private readonly constraints: ConstraintSet | null
  private readonly kernel: IntegratorKernel
  private readonly rng: Rng | null
  private readonly masses: Float64Array
  private readonly inverseMasses: Float64Array
  private readonly totalMovingMass: number
  private readonly cmMotionFrequency: number
  private readonly dof: number

  /** Forces/energies at `cachedPositions` and `cachedBox` (all groups) when `cacheValid`. */
  private readonly forces: Float64Array
  private readonly energyByGroup: Float64Array
  private potentialEnergy = 0
  private readonly cachedPositions: Float64Array
  private readonly cachedBox = new Float64Array(9)
  private cachedHasBox = false
  private cacheValid = false
  private readonly scratch: Float64Array

  constructor (system: System, integrator: IntegratorSpec, state: SimulationState, options: ContextOptions = {}) {
    const n = system.particleCount
    if (state.particleCount !== n || state.positionsNm.length !== 3 * n) {
      throw new ParticleCountMismatchError(`The System has ${n} particles but the starting state has ${state.particleCount}.`)
    }
    if (state.velocitiesNmPerPs !== null && state.velocitiesNmPerPs.length !== 3 * n) {
      throw new ParticleCountMismatchError(`The System has ${n} particles but the starting state has ${state.velocitiesNmPerPs.length / 3} velocities.`)
    }
    this.system = system
    this.integrator = integrator
    this.positionsNm = Float64Array.from(state.positionsNm)
    this.velocitiesNmPerPs = state.velocitiesNmPerPs === null ? new Float64Array(3 * n) : Float64Array.from(state.velocitiesNmPerPs)
    const box = state.box ?? system.defaultBox
    this.box = box === null ? null : Float64Array.from(box)
    this.step = state.step
    this.timePs = state.timePs

    this.masses = system.masses
    this.inverseMasses = inverseMassesOf(system.masses)
    let totalMass = 0
    for (let i = 0; i < n; i++) totalMass += system.masses[i]
    this.totalMovingMass = totalMass
    const remover = system.forces.find((f): f is CMMotionRemover => f.type === 'CMMotionRemover')
    this.cmMotionFrequency = remover === undefined ? 0 : Math.max(1, Math.trunc(remover.frequency))
    this.dof = degreesOfFreedom(system)

    this.constraints = system.constraints.p1.length > 0 ? new ConstraintSet(system) : null
    if (this.constraints?.isEmpty === true) this.constraints = null
    if (isStochastic(integrator)) {
      const integratorSeed = 'randomSeed' in integrator ? integrator.randomSeed : 0
      this.rng = new Rng(options.seed ?? (integratorSeed !== 0 ? integratorSeed : randomSeed()))
    } else {
      this.rng = null
    }
    this.kernel = createIntegratorKernel(integrator, {
      masses: this.masses, inverseMasses: this.inverseMasses, constraints: this.constraints,
    }, this.rng)
    this.evaluator = new ForceEvaluator(system, { threads: options.threads })
    const barostat = system.forces.find((f): f is MonteCarloBarostat => f.type === 'MonteCarloBarostat')
    this.barostat = barostat === undefined
      ? null
      : new MonteCarloBarostatUpdater(system, barostat,
        barostat.randomSeed !== 0 ? barostat.randomSeed : options.seed !== undefined ? (options.seed ^ BAROSTAT_SEED_SALT) >>> 0 : randomSeed())

    this.forces = new Float64Array(3 * n)
    this.energyByGroup = new Float64Array(FORCE_GROUP_COUNT)
    this.cachedPositions = new Float64Array(3 * n)
    this.scratch = new Float64Array(3 * n)
  }

  /**
   * Potential energy (kJ/mol), energies by group and forces (kJ/mol/nm) at the
   * current positions for the groups in `groupsMask` (bit g = group g). The
   * arrays returned are copies the caller may keep.
   */
  computeForces (groupsMask: number = ALL_FORCE_GROUPS): ForceResult {
    if ((groupsMask >>> 0) === ALL_FORCE_GROUPS) {
      this.ensureForces()
      return {
        potentialEnergy: this.potentialEnergy,
        energyByGroup: Float64Array.from(this.energyByGroup),
        forces: Float64Array.from(this.forces),
      }
    }
    const forces = new Float64Array(3 * this.system.particleCount)
    const energyByGroup = new Float64Array(FORCE_GROUP_COUNT)
    const potentialEnergy = this.evaluator.evaluate(this.positionsNm, this.box, forces, energyByGroup, groupsMask)
    return { potentialEnergy, energyByGroup, forces }
  }

  /** Kinetic energy (kJ/mol) at the current time, as OpenMM reports it (leapfrog velocities shifted half a step). */
  kineticEnergy (): number {
    const shift = kineticEnergyTimeShiftPs(this.integrator)
    if (shift !== 0) this.ensureForces()
    return shiftedKineticEnergy(this.masses, this.inverseMasses, this.positionsNm, this.velocitiesNmPerPs,
      this.forces, shift, this.constraints, this.scratch)
  }

  /** Instantaneous temperature, K: 2 KE / (dof R). */
  temperatureK (): number {
    return temperatureFromKineticEnergy(this.kineticEnergy(), this.dof)
  }

  /** 3 N_moving - N_constraints - 3 (with a CMMotionRemover), as OpenMM counts them. */
  degreesOfFreedom (): number {
    return this.dof
  }

  /**
   * Maxwell-Boltzmann velocities at `temperatureK`, as OpenMM's
   * Context.setVelocitiesToTemperature: drawn for every particle with mass,
   * shifted back half a step (v -= (dt/2) F/m) for the integrator's velocity
   * time offset, then constrained. The same seed gives the same velocities;
   * without one the seed is random.
   */
  setVelocitiesToTemperature (temperatureK: number, seed?: number): void {
    if (!(Number.isFinite(temperatureK) && temperatureK >= 0)) {
      throw new RangeError(`Temperature must be a non-negative number of kelvin, got ${temperatureK}`)
    }
    const rng = new Rng(seed ?? randomSeed())
    const n = this.system.particleCount
    const velocities = new Float64Array(3 * n)
    for (let i = 0; i < n; i++) {
      const mass = this.masses[i]
      if (mass === 0) continue
      const velocityScale = Math.sqrt(BOLTZMANN_KJ_PER_MOL_K * temperatureK / mass)
      for (let k = 3 * i; k < 3 * i + 3; k++) velocities[k] = rng.nextGaussian() * velocityScale
    }
    const offset = 0.5 * this.integrator.stepSizePs
    this.ensureForces()
    for (let i = 0; i < n; i++) {
      const mass = this.masses[i]
      if (mass === 0) continue
      const scale = offset / mass
      for (let k = 3 * i; k < 3 * i + 3; k++) velocities[k] -= scale * this.forces[k]
    }
    this.velocitiesNmPerPs = velocities
    if (this.constraints !== null) {
      this.constraints.applyToVelocities(this.positionsNm, this.velocitiesNmPerPs, this.inverseMasses, VELOCITY_CONSTRAINT_TOLERANCE)
    }
  }

  /**
   * Moves positions to satisfy the constraints to relative `tolerance`
   * (default: the integrator's), then removes constrained velocity components.
   * Throws ConstraintFailureError when they cannot be satisfied.
   */
  applyConstraints (tolerance: number = this.integrator.constraintTolerance): void {
    if (this.constraints === null) return
    const positionsConverged = this.constraints.apply(this.positionsNm, this.positionsNm, this.inverseMasses, tolerance)
    const velocitiesConverged = this.constraints.applyToVelocities(this.positionsNm, this.velocitiesNmPerPs, this.inverseMasses, tolerance)
    if (!positionsConverged || !velocitiesConverged) {
      throw new ConstraintFailureError(this.step, `CCMA did not reach relative tolerance ${tolerance} in its iteration limit`)
    }
  }

  /**
   * Advances `n` steps. Throws SimulationBlowUpError with the step (non-finite
   * or huge forces, non-finite positions, constraints torn apart) or
   * ConstraintFailureError (CCMA did not converge to the tolerance).
   */
  stepIntegrator (n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`Number of steps must be a non-negative integer, got ${n}`)
    const dt = this.kernel.stepSizePs
    for (let s = 0; s < n; s++) {
      if (this.barostat !== null && this.box !== null) this.applyBarostat()
      if (this.cmMotionFrequency > 0 && this.step % this.cmMotionFrequency === 0) this.removeCenterOfMassMotion()
      this.ensureForces()
      this.checkForces()
      const converged = this.kernel.step(this.positionsNm, this.velocitiesNmPerPs, this.forces)
      this.cacheValid = false
      this.step++
      this.timePs += dt
      this.checkPositions(converged)
    }
  }

  /** Stops the force evaluator's helper thread, if any; the context keeps working on one thread. */
  close (): void {
    this.evaluator.close()
  }

  /**
   * The random state of the run, for checkpoints: the stochastic integrator's generator (RNG_STATE_WORDS
   * words) when it has one, then the barostat's state (BAROSTAT_STATE_WORDS words) when there is one; null
   * with neither. The sections' lengths differ, so the total tells which are present.
   */
  rngState (): Uint32Array | null {
    const integrator = this.rng?.state() ?? null
    const barostat = this.barostat?.state() ?? null
    if (barostat === null) return integrator
    if (integrator === null) return barostat
    const both = new Uint32Array(integrator.length + barostat.length)
    both.set(integrator)
    both.set(barostat, integrator.length)
    return both
  }

  /**
   * Continues the random streams from a saved `rngState()`: each section this context has a use for (a
   * section it lacks, e.g. the barostat's in a checkpoint of a run that had none, is ignored; a part it needs
   * but the state lacks continues from its seed). RangeError for a length no checkpoint has.
   */
  setRngState (state: Uint32Array): void {
    let integrator: Uint32Array | null = null
    let barostat: Uint32Array | null = null
    if (state.length === RNG_STATE_WORDS) integrator = state
    else if (state.length === BAROSTAT_STATE_WORDS) barostat = state
    else if (state.length === RNG_STATE_WORDS + BAROSTAT_STATE_WORDS) {
      integrator = state.subarray(0, RNG_STATE_WORDS)
      barostat = state.subarray(RNG_STATE_WORDS)
    } else {
      throw new RangeError(`A saved random state has ${RNG_STATE_WORDS}, ${BAROSTAT_STATE_WORDS} or ${RNG_STATE_WORDS + BAROSTAT_STATE_WORDS} words, got ${state.length}`)
    }
    if (integrator !== null && this.rng !== null) this.rng.setState(integrator)
    if (barostat !== null && this.barostat !== null) this.barostat.setState(barostat)
  }

  /** The barostat's move for this step (OpenMM: updateContextState at the start of the step). */
  private applyBarostat (): void {
    const changed = this.barostat!.update(this.positionsNm, this.box!, this.currentPotentialEnergy, this.evaluator)
    if (changed) this.cacheValid = false
  }

  /** Potential energy (kJ/mol) at the current positions and box, from the force cache. */
  private readonly currentPotentialEnergy = (): number => {
    this.ensureForces()
    return this.potentialEnergy
  }

  /**
   * Starts a new neighbour-list segment: the next evaluation rebuilds the lists from the current positions,
   * as a context made from a checkpoint of this state does, so that both continue bit for bit alike.
   */
  restartNeighborLists (): void {
    this.evaluator.restartNeighborLists()
    this.cacheValid = false
  }

  /** Forces the next force request to evaluate again (after editing positions or box in place). */
  invalidateForces (): void {
    this.cacheValid = false
  }

  private ensureForces (): void {
    if (this.cacheValid && this.cacheMatchesState()) return
    this.potentialEnergy = this.evaluator.evaluate(this.positionsNm, this.box, this.forces, this.energyByGroup, ALL_FORCE_GROUPS)
    this.cachedPositions.set(this.positionsNm)
    this.cachedHasBox = this.box !== null
    if (this.box !== null) this.cachedBox.set(this.box)
    this.cacheValid = true
  }

  private cacheMatchesState (): boolean {
    const positions = this.positionsNm
    const cached = this.cachedPositions
    if (positions.length !== cached.length) return false
    for (let k = 0; k < positions.length; k++) if (positions[k] !== cached[k]) return false
    if ((this.box !== null) !== this.cachedHasBox) return false
    if (this.box !== null) for (let k = 0; k < 9; k++) if (this.box[k] !== this.cachedBox[k]) return false
    return true
  }

  /** Subtracts the centre-of-mass velocity, as OpenMM's ReferenceRemoveCMMotionKernel. */
  private removeCenterOfMassMotion (): void {
    if (this.totalMovingMass === 0) return
    const v = this.velocitiesNmPerPs
    const masses = this.masses
    let px = 0
    let py = 0
    let pz = 0
    for (let i = 0; i < masses.length; i++) {
      const m = masses[i]
      px += m * v[3 * i]
      py += m * v[3 * i + 1]
      pz += m * v[3 * i + 2]
    }
    px /= this.totalMovingMass
    py /= this.totalMovingMass
    pz /= this.totalMovingMass
    for (let i = 0; i < masses.length; i++) {
      if (masses[i] === 0) continue
      v[3 * i] -= px
      v[3 * i + 1] -= py
      v[3 * i + 2] -= pz
    }
  }

  private checkForces (): void {
    if (!Number.isFinite(this.potentialEnergy)) {
      throw new SimulationBlowUpError(this.step, `the potential energy is ${this.potentialEnergy}`)
    }
    const forces = this.forces
    const limit2 = BLOW_UP_FORCE_KJ_PER_MOL_NM * BLOW_UP_FORCE_KJ_PER_MOL_NM
    for (let i = 0; i < forces.length; i += 3) {
      const f2 = forces[i] * forces[i] + forces[i + 1] * forces[i + 1] + forces[i + 2] * forces[i + 2]
      if (!(f2 <= limit2)) {
        throw new SimulationBlowUpError(this.step, `the force on particle ${i / 3} is ${Math.sqrt(f2).toExponential(3)} kJ/mol/nm`)
      }
    }
  }

  private checkPositions (constraintsConverged: boolean): void {
    const positions = this.positionsNm
    const velocities = this.velocitiesNmPerPs
    for (let k = 0; k < positions.length; k++) {
      if (!Number.isFinite(positions[k]) || !Number.isFinite(velocities[k])) {
        throw new SimulationBlowUpError(this.step, `particle ${Math.floor(k / 3)} has a non-finite position or velocity`)
      }
    }
    if (!constraintsConverged) {
      const worst = this.constraints?.ccma?.worstViolation(positions)
      if (worst !== undefined && !(worst.relativeError <= EXPLODED_CONSTRAINT_RELATIVE_ERROR)) {
        throw new SimulationBlowUpError(this.step,
          `the constraint between particles ${worst.atomA} and ${worst.atomB} is off by ${(100 * worst.relativeError).toPrecision(3)} % and cannot be restored`)
      }
      throw new ConstraintFailureError(this.step,
        `CCMA did not reach relative tolerance ${this.integrator.constraintTolerance} in its iteration limit (worst error ${worst?.relativeError.toExponential(2)}); try a looser constraintTolerance or a smaller time step`)
    }
  }
}

/** Mixed into the context seed so the barostat's random numbers are unrelated to the integrator's. */
const BAROSTAT_SEED_SALT = 0x2545f491

/** A random 32-bit seed, for when the user gave none. */
function randomSeed (): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]
}
