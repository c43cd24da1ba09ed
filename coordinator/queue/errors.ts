/** Errors of the job queue; tests assert on `name`. */

export class JobNotFoundError extends Error {
  readonly jobId: string
  constructor (jobId: string) {
    super(`No job '${jobId}' on this coordinator; 'mdswarm jobs' lists the jobs it has.`)
    this.name = 'JobNotFoundError'
    this.jobId = jobId
  }
}

/** A submit whose parameters cannot make a job (steps <= 0, report interval larger than the run, ...). */
export class InvalidJobSpecError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'InvalidJobSpecError'
  }
}

/** A transition the unit state machine does not allow (a bug, never user input). */
export class InvalidTransitionError extends Error {
  constructor (unitId: string, from: string, to: string) {
    super(`unit ${unitId}: no transition ${from} → ${to}`)
    this.name = 'InvalidTransitionError'
  }
}

/** A payload hash that the blob store does not hold. */
export class MissingBlobError extends Error {
  readonly hash: string
  constructor (hash: string, what: string) {
    super(`The coordinator has no ${what} with hash ${hash}; upload it first.`)
    this.name = 'MissingBlobError'
    this.hash = hash
  }
}
