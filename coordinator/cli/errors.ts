/** Errors of the `mdswarm` client commands themselves (not of the coordinator or the engine); callers branch on `name`. */

/** An output file (`fetch -o`, `--topology`) whose folder does not exist or is not a folder. */
export class OutputFolderMissingError extends Error {
  constructor (file: string, folder: string) {
    super(`cannot write ${file}: the folder ${folder} does not exist. Create it first, or write somewhere else.`)
    this.name = 'OutputFolderMissingError'
  }
}

/** An output file whose folder exists but this user may not write to. */
export class OutputFolderNotWritableError extends Error {
  constructor (file: string, folder: string) {
    super(`cannot write ${file}: the folder ${folder} is not writable by you. Choose a folder you can write to.`)
    this.name = 'OutputFolderNotWritableError'
  }
}

/** A home (`--home`, $MDSWARM_HOME) that does not exist and whose parent folder does not exist either. */
export class HomeParentMissingError extends Error {
  constructor (home: string, parent: string) {
    super(`cannot create the home folder ${home}: the folder ${parent} does not exist. Create it first, or pass an existing folder (or a new one inside an existing folder) as --home.`)
    this.name = 'HomeParentMissingError'
  }
}

/** `mdswarm dashboard`: the home's coordinator.json names a dashboard that does not answer. */
export class CoordinatorNotRunningError extends Error {
  constructor (home: string, url: string, cause: unknown) {
    super(`The coordinator of home ${home} is not running: its dashboard at ${url} does not answer (${(cause as Error)?.message ?? String(cause)}). Start it with 'mdswarm coordinator start --home ${home}'.`, { cause })
    this.name = 'CoordinatorNotRunningError'
  }
}
