/**
 * Failures of the openmm engine, one class per failure. Tests assert on
 * `name`, never on message text.
 */
import { EngineError } from '../engine/errors.ts'

/** OpenMM itself raised an error (context creation, deserialization, a platform property); `openmmMessage` is OpenMM's own text. */
export class OpenmmError extends EngineError {
  /** OpenMM's message, verbatim. */
  readonly openmmMessage: string
  /** The Python exception class (e.g. 'OpenMMException'). */
  readonly errorType: string
  constructor (openmmMessage: string, errorType = 'OpenMMException', context?: string) {
    super(`OpenMM failed${context === undefined ? '' : ` ${context}`}: ${openmmMessage}`)
    this.name = 'OpenmmError'
    this.openmmMessage = openmmMessage
    this.errorType = errorType
  }
}

/** The inputs do not fit together as the helper received them (particle counts, missing positions, a checkpoint of another system). */
export class OpenmmInputError extends EngineError {
  constructor (message: string) {
    super(message)
    this.name = 'OpenmmInputError'
  }
}

/** The helper process ended while the node waited for it (crash, out of memory, killed). */
export class OpenmmHelperDiedError extends EngineError {
  /** Exit status, or null when a signal ended it. */
  readonly exitCode: number | null
  readonly signal: NodeJS.Signals | null
  /** The last lines the helper wrote to stderr. */
  readonly stderrTail: string
  constructor (exitCode: number | null, signal: NodeJS.Signals | null, stderrTail = '') {
    const how = signal !== null ? `was killed by ${signal}` : `exited with status ${exitCode}`
    const tail = stderrTail.trim()
    super(`The OpenMM helper ${how} before answering${tail === '' ? '' : `; its last output: ${lastLines(tail, 5)}`}.`)
    this.name = 'OpenmmHelperDiedError'
    this.exitCode = exitCode
    this.signal = signal
    this.stderrTail = stderrTail
  }
}

/** No usable OpenMM: no interpreter that imports it, or the one given cannot. */
export class OpenmmNotAvailableError extends EngineError {
  constructor (message: string) {
    super(message)
    this.name = 'OpenmmNotAvailableError'
  }
}

/** The pipe carried something that is not the protocol (a bug or a foreign program). */
export class OpenmmProtocolError extends EngineError {
  constructor (detail: string) {
    super(`The OpenMM helper's messages could not be read: ${detail}.`)
    this.name = 'OpenmmProtocolError'
  }
}

function lastLines (text: string, count: number): string {
  return text.split('\n').slice(-count).join(' | ')
}
