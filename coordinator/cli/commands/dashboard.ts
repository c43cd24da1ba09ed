/**
 * `mdswarm dashboard [--home DIR] [--coordinator MULTIADDR] [--json]`: the URL
 * of the web dashboard of the coordinator running with this home (from its
 * coordinator.json), checked to answer: a stopped coordinator is an error
 * (CoordinatorNotRunningError), not a stale URL.
 *
 * The dashboard listens on the coordinator machine's loopback, and only that
 * machine's coordinator.json knows its port. With `--coordinator` (another
 * machine) the command checks that coordinator answers and says how to
 * reach its dashboard (an SSH port forward).
 */
import { readCoordinatorInfo } from '../../../src/client/coordinator-info.ts'
import { parseMultiaddr } from '../../../src/p2p/create-peer.ts'
import { tcpTarget } from '../../../src/p2p/network-probe.ts'
import { CoordinatorNotFoundError } from '../../../src/client/errors.ts'
import { DEFAULT_DASHBOARD } from '../../daemon.ts'
import { CLIENT_FLAGS, parseFlags } from '../flags.ts'
import { printJson, withClient } from '../client-session.ts'
import { clientHome } from '../home-flag.ts'
import { CoordinatorNotRunningError } from '../errors.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

export const summary = COMMAND_SUMMARIES.dashboard

const USAGE = 'mdswarm dashboard [--home DIR] [--coordinator MULTIADDR] [--swarm-key FILE] [--json]'

const HELP = `usage: ${USAGE}

${summary}.
  --home DIR           the coordinator's home (default $MDSWARM_HOME or ~/.mdswarm): its coordinator.json
                       says where the dashboard listens. Run this on the coordinator's machine.
  --coordinator MULTIADDR  a coordinator on another machine: checks that it answers and prints how to
                       forward its dashboard (it listens on that machine's 127.0.0.1 only)
  --swarm-key FILE     private network key, with --coordinator (default <home>/swarm.key if present)
  --json               print {"url"} (with --coordinator: {"url": null, "coordinator", "host", "forward"})
Exits non-zero when the coordinator is not running.
`

/** How long the dashboard has to answer before the coordinator counts as not running. */
const DASHBOARD_PROBE_MS = 5000

/** Resolves when the dashboard answers HTTP at all; CoordinatorNotRunningError when it does not. */
async function checkAnswers (home: string, url: string): Promise<void> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(DASHBOARD_PROBE_MS) })
    await response.body?.cancel()
  } catch (err) {
    const cause = (err as Error & { cause?: { code?: string } }).cause
    throw new CoordinatorNotRunningError(home, url, cause?.code !== undefined ? new Error(cause.code) : err)
  }
}

async function remote (values: { coordinator: string, home?: string, 'swarm-key'?: string, json?: boolean }): Promise<number> {
  // Any answer to a request shows the coordinator runs; an unreachable one throws CoordinatorUnreachableError.
  await withClient(values, async (client) => {
    try {
      await client.jobs([])
    } catch (err) {
      if ((err as Error).name === 'CoordinatorUnreachableError') throw err
    }
  })
  const host = tcpTarget(parseMultiaddr(values.coordinator))?.host ?? 'coordinator-host'
  const port = DEFAULT_DASHBOARD.port
  const forward = `ssh -L ${port}:127.0.0.1:${port} ${host}`
  if (values.json === true) printJson({ url: null, coordinator: values.coordinator, host, forward })
  else {
    process.stdout.write(`The coordinator at ${host} is running. Its dashboard listens on that machine's 127.0.0.1 only (port ${port} unless it was started with --dashboard):\n` +
      `  ${forward}\nthen open http://127.0.0.1:${port}/ here. 'mdswarm dashboard' on ${host} prints its exact URL.\n`)
  }
  return 0
}

export async function run (args: string[]): Promise<number> {
  const { values } = parseFlags(args, CLIENT_FLAGS, USAGE)
  if (values.help === true) { process.stdout.write(HELP); return 0 }
  if (values.coordinator !== undefined) return await remote({ ...values, coordinator: values.coordinator })
  const home = clientHome(values.home)
  let info
  try {
    info = readCoordinatorInfo(home)
  } catch (err) {
    if (!(err instanceof CoordinatorNotFoundError)) throw err
    throw new CoordinatorNotFoundError(`${home} holds no coordinator.json, so no coordinator runs with this home. 'mdswarm dashboard' reads the dashboard's address there: run it on the coordinator's machine with the coordinator's --home (or MDSWARM_HOME), or pass --coordinator MULTIADDR for one on another machine.`)
  }
  if (info.dashboard === undefined) throw new CoordinatorNotFoundError("The coordinator of this home serves no dashboard (started with --no-dashboard, or before dashboards existed). Restart it without --no-dashboard.")
  await checkAnswers(home, info.dashboard)
  if (values.json === true) printJson({ url: info.dashboard })
  else process.stdout.write(`${info.dashboard}\nOpen it in a browser on this machine; from another one, forward the port first (ssh -L PORT:127.0.0.1:PORT this-host).\n`)
  return 0
}
