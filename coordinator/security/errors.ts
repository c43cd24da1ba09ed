/** Errors of the coordinator's access control; callers (and clients, by `name`) branch on `name`. */

/** A control request from a client peer ID that is not on the allow-list. */
export class ClientNotAllowedError extends Error {
  readonly peerId: string
  constructor (peerId: string, coordinatorPeerId: string) {
    super(`This client (peer ID ${peerId}) is not allowed to use coordinator ${coordinatorPeerId}. ` +
      `Ask its operator to run 'mdswarm coordinator allow ${peerId}' on the coordinator's machine (or from any admin client), then try again.`)
    this.name = 'ClientNotAllowedError'
    this.peerId = peerId
  }
}

/** allow/revoke asked by an allowed client that is not an admin. */
export class AdminRequiredError extends Error {
  constructor (peerId: string) {
    super(`Client ${peerId} may submit but not change the allow-list; ask an admin (the coordinator's own home, or a client allowed with --admin).`)
    this.name = 'AdminRequiredError'
  }
}

/** A string that is not a libp2p peer ID. */
export class InvalidPeerIdError extends Error {
  constructor (peerId: string) {
    super(`'${peerId.slice(0, 100)}' is not a peer ID (expected e.g. 12D3KooW...; a client prints its own with 'mdswarm whoami').`)
    this.name = 'InvalidPeerIdError'
  }
}

/** Revoking (or demoting) the only admin would lock everyone out of the allow-list. */
export class LastAdminError extends Error {
  constructor (peerId: string) {
    super(`${peerId} is the last admin of the allow-list; allow another admin first ('mdswarm coordinator allow PEERID --admin').`)
    this.name = 'LastAdminError'
  }
}

/** A peer sent requests faster than its rate limit for longer than the coordinator will queue them. */
export class RateLimitedError extends Error {
  constructor (what: string, ratePerSecond: number) {
    super(`Too many ${what} requests from this peer (limit ${ratePerSecond}/s); slow down and retry.`)
    this.name = 'RateLimitedError'
  }
}
