/** Failures of the node's link to its coordinator. */

/** The coordinator answered with something that does not fit the request (wrong unit, wrong hash). */
export class UnexpectedResponseError extends Error {
  constructor (detail: string) {
    super(`The coordinator sent an unexpected response: ${detail}.`)
    this.name = 'UnexpectedResponseError'
  }
}

/** The coordinator refused a blob request. */
export class BlobRefusedError extends Error {
  readonly code: string
  constructor (code: string, reason: string) {
    super(`The coordinator refused the payload request (${code}): ${reason}`)
    this.name = 'BlobRefusedError'
    this.code = code
  }
}

/** The coordinator multiaddr has no /p2p/<peer id> part, so the node cannot authenticate it. */
export class CoordinatorAddressError extends Error {
  constructor (address: string) {
    super(`The coordinator address ${address} does not end in /p2p/<peer id>; copy the full address from the coordinator's coordinator.json or its start-up output.`)
    this.name = 'CoordinatorAddressError'
  }
}

/** The link was stopped (daemon shutting down). */
export class LinkClosedError extends Error {
  constructor () {
    super('The link to the coordinator was closed.')
    this.name = 'LinkClosedError'
  }
}
