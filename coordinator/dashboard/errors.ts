/** Errors of the coordinator's dashboard. */

/** The dashboard could not listen where it was told (in use, no such interface, not permitted). */
export class DashboardAddressError extends Error {
  readonly code: string | undefined
  constructor (host: string, port: number, cause: NodeJS.ErrnoException) {
    const why = cause.code === 'EADDRINUSE'
      ? `port ${port} is in use (another coordinator's dashboard?)`
      : cause.code === 'EADDRNOTAVAIL' ? `${host} is not an address of this machine` : cause.code === 'EACCES' ? `not permitted to listen on port ${port}` : cause.message
    super(`The dashboard cannot listen on ${host}:${port}: ${why}. Pick another with --dashboard HOST:PORT (port 0: any free port), or turn it off with --no-dashboard.`)
    this.name = 'DashboardAddressError'
    this.code = cause.code
  }
}
