/**
 * One error class per failure. Tests assert on `name`, never on message
 * text. Every message is written for a chemist, not a programmer: it says what
 * was wrong with which input and, where it helps, what to do.
 */

/** Base of every error the engine raises for bad input or a failed run. */
export class EngineError extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'EngineError'
  }
}

/** The XML is not well-formed, is truncated, too large, or uses DTD/entities. */
export class XmlParseError extends EngineError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'XmlParseError'
  }
}

/** The XML is well-formed but is not a valid OpenMM System/Integrator/State. */
export class InvalidSystemError extends EngineError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'InvalidSystemError'
  }
}

/** The System has a force the engine does not implement; names the force. */
export class UnsupportedForceError extends EngineError {
  readonly forceType: string
  constructor (forceType: string, engine = 'builtin') {
    super(`The ${engine} engine does not support ${forceType}; run this system on an engine that does (e.g. --engine openmm), or remove the force.`)
    this.name = 'UnsupportedForceError'
    this.forceType = forceType
  }
}

/** Unknown integrator type in Integrator XML. */
export class UnsupportedIntegratorError extends EngineError {
  readonly integratorType: string
  constructor (integratorType: string) {
    super(`Unsupported integrator ${integratorType}; the builtin engine runs VerletIntegrator, LangevinIntegrator and LangevinMiddleIntegrator.`)
    this.name = 'UnsupportedIntegratorError'
    this.integratorType = integratorType
  }
}

/** Integrator parameters out of range (e.g. step size <= 0, negative friction). */
export class InvalidIntegratorError extends EngineError {
  constructor (message: string) {
    super(message)
    this.name = 'InvalidIntegratorError'
  }
}

/** A PDB file that cannot be read. */
export class PdbParseError extends EngineError {
  readonly line: number | undefined
  constructor (message: string, line?: number) {
    super(line === undefined ? message : `PDB line ${line}: ${message}`)
    this.name = 'PdbParseError'
    this.line = line
  }
}

/** Particle counts of System, PDB or State disagree. */
export class ParticleCountMismatchError extends EngineError {
  constructor (message: string) {
    super(message)
    this.name = 'ParticleCountMismatchError'
  }
}

/** NaN/infinite coordinates or velocities in the input. */
export class InvalidCoordinatesError extends EngineError {
  constructor (message: string) {
    super(message)
    this.name = 'InvalidCoordinatesError'
  }
}

/** A periodic box that is missing, degenerate, or not in OpenMM's reduced form, or too small for the cutoff. */
export class InvalidBoxError extends EngineError {
  constructor (message: string) {
    super(message)
    this.name = 'InvalidBoxError'
  }
}

/** The simulation blew up: NaN energies/positions or huge forces at `step`. */
export class SimulationBlowUpError extends EngineError {
  readonly step: number
  constructor (step: number, detail: string) {
    super(`Simulation blew up at step ${step}: ${detail}. Check the starting structure (minimize first), the time step and constraints.`)
    this.name = 'SimulationBlowUpError'
    this.step = step
  }
}

/** Constraints could not be satisfied to tolerance within the iteration limit. */
export class ConstraintFailureError extends EngineError {
  readonly step: number
  constructor (step: number, detail: string) {
    super(`Constraints failed to converge at step ${step}: ${detail}`)
    this.name = 'ConstraintFailureError'
    this.step = step
  }
}

/** A checkpoint that is truncated, corrupted, or for another system. */
export class CheckpointError extends EngineError {
  constructor (message: string) {
    super(message)
    this.name = 'CheckpointError'
  }
}
