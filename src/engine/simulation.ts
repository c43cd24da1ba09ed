/**
 * A Simulation runs one trajectory segment with the builtin engine: it reads
 * the OpenMM inputs, restores a checkpoint when one is given, draws starting
 * velocities when the inputs have none, and steps in blocks, handing a Frame
 * to the caller every `reportEvery` steps.
 *
 * @example
 * const simulation = Simulation.fromInputs({ systemXml, integratorXml, pdb, seed: 7 })
 * simulation.run({ steps: 5000, reportEvery: 500, onFrame: frame => frames.push(frame) })
 * const bytes = encodeCheckpoint(simulation.checkpoint())
 */
import { decodeCheckpoint, type Checkpoint } from './checkpoint.ts'
import { Context } from './context.ts'
import { CheckpointError, InvalidIntegratorError, SimulationBlowUpError } from './errors.ts'
import type { Frame } from './frame.ts'
import type { IntegratorSpec } from './integrator-spec.ts'
import { isStochastic } from './integrators/index.ts'
import { temperatureFromKineticEnergy } from './kinetic.ts'
import { resolveLimits, type InputLimits } from './limits.ts'
import { loadInputs, type EngineInputs, type LoadedInputs } from './load.ts'
import type { SimulationState } from './state.ts'
import { usesPeriodicBoundaryConditions, type System } from './system.ts'
import type { Topology } from './topology.ts'

export interface SimulationInputs extends EngineInputs {
  /** Bytes from `encodeCheckpoint`; its positions, velocities, box, step, time and rng state replace the inputs'. */
  checkpoint?: Uint8Array
  /** Seed for starting velocities and the stochastic integrators (default: the integrator's randomSeed, else random). */
  seed?: number
  limits?: Partial<InputLimits>
  /**
   * Threads for force evaluation: 1 (everything on the calling thread; what a
   * node running one unit per core should pass), 2, or 'auto' (default:
   * MDSWARM_FORCE_THREADS, else a helper thread for 1,000+ atoms while it
   * pays). Results are the same either way. Call close() when done.
   */
  threads?: number | 'auto'
}

export interface RunOptions {
  /** Steps to run from the current step. */
  steps: number
  /** A frame is reported whenever the absolute step is a multiple of this. */
  reportEvery: number
  onFrame?: (frame: Frame) => void
  /** Called after every block with the number of steps done in this run. */
  onProgress?: (stepsDone: number) => void
  /** Checked between blocks; an aborted signal throws its reason. */
  signal?: AbortSignal
}

/** Most steps run between two checks of the abort signal and progress calls. */
export const MAX_STEPS_PER_BLOCK = 100

/** Mixed into the seed so starting velocities and integrator noise come from unrelated streams. */
const VELOCITY_SEED_SALT = 0x5bd1e995

export class Simulation {
  readonly context: Context
  readonly topology: Topology
  readonly system: System
  readonly integrator: IntegratorSpec
  private readonly maxSteps: number
  /** Whether the System uses periodic boundary conditions: only then do frames carry a box. */
  private readonly periodic: boolean

  constructor (context: Context, topology: Topology, limits?: Partial<InputLimits>) {
    this.context = context
    this.topology = topology
    this.system = context.system
    this.periodic = usesPeriodicBoundaryConditions(context.system)
    this.integrator = context.integrator
    this.maxSteps = resolveLimits(limits).maxSteps
  }

  /**
   * Reads the inputs (loadInputs), requires an integrator, restores the
   * checkpoint if given, and otherwise, when the inputs carry no velocities,
   * draws Maxwell-Boltzmann velocities at the integrator's temperature
   * (Langevin) or starts from rest (Verlet), seeded.
   */
  static fromInputs (inputs: SimulationInputs): Simulation {
    return Simulation.fromLoaded(loadInputs(inputs, inputs.limits), inputs)
  }

  /**
   * As `fromInputs`, from inputs already read by `loadInputs` (which this
   * does not change: a caller may keep them and start many simulations of
   * the same system, e.g. a node running consecutive units).
   */
  static fromLoaded (loaded: LoadedInputs, options: Pick<SimulationInputs, 'checkpoint' | 'seed' | 'limits' | 'threads'> = {}): Simulation {
    const inputs = options
    const integrator = loaded.integrator
    if (integrator === null) {
      throw new InvalidIntegratorError('Running a simulation needs an Integrator XML (e.g. a VerletIntegrator or LangevinMiddleIntegrator serialized by OpenMM).')
    }
    const integratorSeed = 'randomSeed' in integrator ? integrator.randomSeed : 0
    const seed = inputs.seed ?? (integratorSeed !== 0 ? integratorSeed : undefined)

    let state: SimulationState = loaded.state
    let checkpoint: Checkpoint | null = null
    if (inputs.checkpoint !== undefined) {
      checkpoint = decodeCheckpoint(inputs.checkpoint)
      if (checkpoint.particleCount !== loaded.system.particleCount) {
        throw new CheckpointError(`The checkpoint is for ${checkpoint.particleCount} particles but the System has ${loaded.system.particleCount}; it belongs to another system.`)
      }
      if (checkpoint.box === null && usesPeriodicBoundaryConditions(loaded.system)) {
        throw new CheckpointError('The checkpoint has no periodic box but the System is periodic; it belongs to another system.')
      }
      state = {
        particleCount: checkpoint.particleCount,
        positionsNm: checkpoint.positionsNm,
        velocitiesNmPerPs: checkpoint.velocitiesNmPerPs,
        box: checkpoint.box,
        step: checkpoint.step,
        timePs: checkpoint.timePs,
      }
    }

    const context = new Context(loaded.system, integrator, state, { seed, threads: inputs.threads })
    if (checkpoint?.rngState != null) {
      try {
        context.setRngState(checkpoint.rngState)
      } catch (error) {
        context.close()
        throw new CheckpointError(`The checkpoint's random state does not fit this run (${(error as Error).message}); it belongs to another kind of run.`)
      }
    }
    if (checkpoint === null && state.velocitiesNmPerPs === null && isStochastic(integrator) && 'temperatureK' in integrator) {
      const velocitySeed = seed === undefined ? undefined : (Math.trunc(seed) ^ VELOCITY_SEED_SALT) >>> 0
      context.setVelocitiesToTemperature(integrator.temperatureK, velocitySeed)
    }
    return new Simulation(context, loaded.topology, inputs.limits)
  }

  get step (): number {
    return this.context.step
  }

  get timePs (): number {
    return this.context.timePs
  }

  /**
   * Runs `steps` steps synchronously in blocks of at most MAX_STEPS_PER_BLOCK,
   * ending a block at every report step. Throws SimulationBlowUpError (with
   * the step) when energies, forces or positions stop being finite or forces
   * exceed 1e8 kJ/mol/nm, ConstraintFailureError when constraints fail, and
   * the signal's reason when aborted.
   */
  run (options: RunOptions): void {
    const { steps, reportEvery, onFrame, onProgress, signal } = options
    if (!Number.isSafeInteger(steps) || steps < 0) throw new RangeError(`steps must be a non-negative integer, got ${steps}`)
    if (steps > this.maxSteps) throw new RangeError(`steps (${steps}) exceeds the limit of ${this.maxSteps} steps per run`)
    if (!Number.isSafeInteger(reportEvery) || reportEvery < 1) throw new RangeError(`reportEvery must be a positive integer, got ${reportEvery}`)
    const context = this.context
    let done = 0
    while (done < steps) {
      signal?.throwIfAborted()
      const toNextReport = reportEvery - (context.step % reportEvery)
      const block = Math.min(steps - done, toNextReport, MAX_STEPS_PER_BLOCK)
      context.stepIntegrator(block)
      done += block
      if (context.step % reportEvery === 0 && onFrame !== undefined) onFrame(this.frame())
      onProgress?.(done)
    }
    signal?.throwIfAborted()
  }

  /** Stops the helper thread force evaluation may hold (the simulation keeps working on one thread). */
  close (): void {
    this.context.close()
  }

  /**
   * The current portable state (copies). Also starts a new neighbour-list segment (Context.restartNeighborLists):
   * the next step rebuilds the lists from these positions, as a run resumed from this checkpoint does, so the two
   * continue bit for bit alike (periodic systems too). Costs one list build and one force evaluation.
   */
  checkpoint (): Checkpoint {
    const context = this.context
    context.restartNeighborLists()
    return {
      particleCount: this.system.particleCount,
      positionsNm: Float64Array.from(context.positionsNm),
      velocitiesNmPerPs: Float64Array.from(context.velocitiesNmPerPs),
      box: context.box === null ? null : Float64Array.from(context.box),
      step: context.step,
      timePs: context.timePs,
      rngState: context.rngState(),
    }
  }

  /**
   * The current frame: positions (float32 copy), box, energies and
   * temperature. A System without periodic boundary conditions gives frames
   * no box (as OpenMM's reporters and the openmm engine do), even though its
   * context keeps the System's default box vectors: trajectories written from
   * them then carry no unit cell that analysis tools would minimum-image.
   */
  frame (): Frame {
    const context = this.context
    const { potentialEnergy } = context.computeForces()
    const kineticEnergy = context.kineticEnergy()
    if (!Number.isFinite(potentialEnergy) || !Number.isFinite(kineticEnergy)) {
      throw new SimulationBlowUpError(context.step, `the energy is not finite (potential ${potentialEnergy}, kinetic ${kineticEnergy} kJ/mol)`)
    }
    return {
      step: context.step,
      timePs: context.timePs,
      positionsNm: Float32Array.from(context.positionsNm),
      box: this.periodic && context.box !== null ? Float64Array.from(context.box) : null,
      potentialEnergy,
      kineticEnergy,
      temperatureK: temperatureFromKineticEnergy(kineticEnergy, context.degreesOfFreedom()),
    }
  }
}
