/** Typed errors of peer setup. Callers branch on `name`. */

/** The peer key file exists but cannot be read or is not a libp2p key. */
export class PeerKeyError extends Error {
  readonly keyPath: string
  constructor (keyPath: string, detail: string) {
    super(`Cannot use the peer key ${keyPath}: ${detail}. Move it away to create a new identity (the peer ID will change).`)
    this.name = 'PeerKeyError'
    this.keyPath = keyPath
  }
}

/** A network name that cannot be used in topics and protocol ids. */
export class InvalidNetworkNameError extends Error {
  constructor (network: string) {
    super(`Invalid network name ${JSON.stringify(network)}: use 1–64 letters, digits, '.', '_' or '-'.`)
    this.name = 'InvalidNetworkNameError'
  }
}

/** A swarm key file that is not in the go-ipfs format (/key/swarm/psk/1.0.0/, /base16/, 64 hex digits). */
export class SwarmKeyError extends Error {
  constructor (detail: string) {
    super(`Invalid swarm key: ${detail}. Generate one with \`mdswarm keygen swarm -o FILE\`, or copy the file the coordinator uses.`)
    this.name = 'SwarmKeyError'
  }
}

/** A multiaddr string that cannot be parsed. */
export class InvalidMultiaddrError extends Error {
  readonly address: string
  constructor (address: string, detail: string) {
    super(`Invalid address ${JSON.stringify(address)}: ${detail}. Expected e.g. /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...`)
    this.name = 'InvalidMultiaddrError'
    this.address = address
  }
}

/** The coordinator runs a private network (pnet) and this peer has no swarm key. */
export class PrivateNetworkError extends Error {
  readonly address: string
  constructor (address: string) {
    super(`Cannot reach the coordinator at ${address}: this coordinator runs a private network: pass --swarm-key FILE (the coordinator's key; swarmKeyFile in connect()).`)
    this.name = 'PrivateNetworkError'
    this.address = address
  }
}

/**
 * This peer has a swarm key but the coordinator does not accept it: it runs a
 * private network with another key, or an open network (`coordinatorPrivate` false).
 */
export class SwarmKeyMismatchError extends Error {
  readonly address: string
  readonly coordinatorPrivate: boolean
  constructor (address: string, coordinatorPrivate: boolean) {
    super(coordinatorPrivate
      ? `Cannot reach the coordinator at ${address}: it runs a private network and did not accept this peer's swarm key: pass --swarm-key FILE (swarmKeyFile in connect()) with the coordinator's key.`
      : `Cannot reach the coordinator at ${address}: it runs an open network, but this peer uses a swarm key: leave out --swarm-key (and move away <home>/swarm.key).`)
    this.name = 'SwarmKeyMismatchError'
    this.address = address
    this.coordinatorPrivate = coordinatorPrivate
  }
}
