/** Errors of the client library; callers branch on `name`. */

/** No coordinator address: none given and no coordinator.json in the home. */
export class CoordinatorNotFoundError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'CoordinatorNotFoundError'
  }
}

/** The coordinator could not be reached at any of its addresses. */
export class CoordinatorUnreachableError extends Error {
  constructor (addresses: readonly string[], cause: unknown) {
    super(`Cannot reach the coordinator at ${addresses.join(', ')} (${(cause as Error)?.message ?? String(cause)}). Is it running? Start it with 'mdswarm coordinator start'.`, { cause })
    this.name = 'CoordinatorUnreachableError'
  }
}

/**
 * An error the coordinator answered with; `name` is the coordinator's error
 * class (JobNotFoundError, InvalidJobSpecError, XmlParseError, ...).
 */
export class CoordinatorError extends Error {
  constructor (name: string, message: string) {
    super(message)
    this.name = name
  }
}

/** A response of a type the request does not expect. */
export class UnexpectedResponseError extends Error {
  constructor (request: string, response: string) {
    super(`The coordinator answered a ${request} request with '${response}'; are client and coordinator the same mdswarm version?`)
    this.name = 'UnexpectedResponseError'
  }
}
