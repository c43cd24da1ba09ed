/**
 * `mdswarm dashboard [--home DIR] [--json]`: the URL of the web dashboard of
 * the coordinator running with this home (from its coordinator.json).
 */
import { resolveHome } from '../../../src/p2p/home.ts'
import { readCoordinatorInfo } from '../../../src/client/coordinator-info.ts'
import { CoordinatorNotFoundError } from '../../../src/client/errors.ts'
import { parseFlags } from '../flags.ts'
import { printJson } from '../client-session.ts'

export const summary = "Print the URL of the coordinator's web dashboard (jobs, progress, peers)"

const USAGE = 'mdswarm dashboard [--home DIR] [--json]'

const FLAGS = {
  home: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function run (args: string[]): Promise<number> {
  const { values } = parseFlags(args, FLAGS, USAGE)
  if (values.help === true) { process.stdout.write(`usage: ${USAGE}\n`); return 0 }
  const info = readCoordinatorInfo(resolveHome(values.home))
  if (info.dashboard === undefined) throw new CoordinatorNotFoundError("The coordinator of this home serves no dashboard (started with --no-dashboard, or before dashboards existed). Restart it without --no-dashboard.")
  if (values.json === true) printJson({ url: info.dashboard })
  else process.stdout.write(`${info.dashboard}\nOpen it in a browser on this machine; from another one, forward the port first (ssh -L PORT:127.0.0.1:PORT this-host).\n`)
  return 0
}
