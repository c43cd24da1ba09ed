/** Errors of the coordinator daemon; callers branch on `name`. */

/** Another coordinator process already uses this home's database. */
export class CoordinatorAlreadyRunningError extends Error {
  constructor (home: string) {
    super(`A coordinator is already running with home ${home} (its database is locked). Stop it first, or use another --home.`)
    this.name = 'CoordinatorAlreadyRunningError'
  }
}
