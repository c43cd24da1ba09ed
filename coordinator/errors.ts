/** Errors of the coordinator daemon; callers branch on `name`. */

/** Another coordinator process already uses this home's database. */
export class CoordinatorAlreadyRunningError extends Error {
  constructor (home: string) {
    super(`A coordinator is already running with home ${home} (its database is locked). Stop it first, or use another --home.`)
    this.name = 'CoordinatorAlreadyRunningError'
  }
}

/**
 * The home's coordinator last ran a private network with a key file that is
 * gone: starting it open (or with another key) would silently change who can
 * connect.
 */
export class RecordedSwarmKeyMissingError extends Error {
  constructor (keyFile: string) {
    super(`This coordinator last ran a private network with the swarm key ${keyFile}, which cannot be read. Put it back, ` +
      'pass --swarm-key FILE (the same key, or every peer is cut off), or --open to run an open network from now on.')
    this.name = 'RecordedSwarmKeyMissingError'
  }
}
