/** Failures of a unit run, by kind. Tests assert on `name`. */

/** The unit was cancelled (coordinator said cancel, lease lost, or the daemon stopped). */
export class UnitAbortedError extends Error {
  constructor (message = 'The work unit was stopped before it finished.') {
    super(message)
    this.name = 'UnitAbortedError'
  }
}

/** The worker thread died without reporting a result (out of memory, native crash, uncaught error). */
export class WorkerCrashedError extends Error {
  readonly exitCode: number
  constructor (exitCode: number, detail?: string) {
    super(`The engine worker exited with status ${exitCode} before the unit finished${detail === undefined ? '' : `: ${detail}`}.`)
    this.name = 'WorkerCrashedError'
    this.exitCode = exitCode
  }
}
