/**
 * `mdswarm coordinator start [--listen MULTIADDR]... [--network NAME] [--home DIR] [--lease-seconds N] [--swarm-key FILE] [--dashboard HOST:PORT | --no-dashboard] [limits]`:
 * runs the coordinator in the foreground until SIGINT/SIGTERM, then shuts
 * down cleanly. Writes `<home>/coordinator.json` for client commands.
 *
 * `mdswarm coordinator allow PEERID [--admin]`, `revoke PEERID`, `allowed`:
 * the submitter allow-list (see ../allow-list-access.ts for how they reach it).
 */
import { keepRunningOnClosedPipe, UsageError } from '../../../src/cli/run-command.ts'
import { DEFAULT_INPUT_LIMITS } from '../../../src/engine/limits.ts'
import { CoordinatorDaemon, DEFAULT_COORDINATOR_LISTEN, DEFAULT_DASHBOARD } from '../../daemon.ts'
import { parseDashboardAddress } from '../../dashboard/address.ts'
import { DEFAULT_CLAIM_RATE_LIMIT, DEFAULT_CONTROL_RATE_LIMIT } from '../../security/rate-limiter.ts'
import { CLIENT_FLAGS, integerFlag, parseFlags } from '../flags.ts'
import { printJson } from '../client-session.ts'
import { withAllowList } from '../allow-list-access.ts'
import { ago, table } from '../format.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

export const summary = COMMAND_SUMMARIES.coordinator

const USAGE = 'mdswarm coordinator start [--listen MULTIADDR]... [--network NAME] [--home DIR] [--lease-seconds N] [--max-attempts N] [--swarm-key FILE | --open] ' +
  '[--dashboard HOST:PORT | --no-dashboard] [--max-atoms N] [--max-steps N] [--max-input-mb N] [--claim-rate N] [--control-rate N]\n' +
  '       mdswarm coordinator allow PEERID [--admin] | revoke PEERID | allowed   [--home DIR] [--coordinator MULTIADDR] [--swarm-key FILE] [--json]'

const FLAGS = {
  listen: { type: 'string', multiple: true },
  network: { type: 'string' },
  home: { type: 'string' },
  'lease-seconds': { type: 'string' },
  'max-attempts': { type: 'string' },
  'swarm-key': { type: 'string' },
  open: { type: 'boolean' },
  'max-atoms': { type: 'string' },
  'max-steps': { type: 'string' },
  'max-input-mb': { type: 'string' },
  'claim-rate': { type: 'string' },
  'control-rate': { type: 'string' },
  dashboard: { type: 'string' },
  'no-dashboard': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

const HELP = `usage: ${USAGE}

start: runs the coordinator in the foreground (Ctrl-C or SIGTERM stops it cleanly).
  --listen MULTIADDR   address to listen on (repeatable; default ${DEFAULT_COORDINATOR_LISTEN})
  --network NAME       network name (topics, DHT); default: what this home's coordinator last ran with, else 'default'
  --home DIR           home folder (default $MDSWARM_HOME or ~/.mdswarm): key, database, coordinator.json
  --lease-seconds N    how long a node keeps a unit without renewing (default 30)
  --max-attempts N     failed attempts of a unit before its job fails (default 3)
  --swarm-key FILE     private network key (make one with 'mdswarm keygen swarm -o FILE'); default: the key this home's
                       coordinator last ran with (coordinator.json), else <home>/swarm.key if present
  --open               an open network, even if this home's coordinator last ran a private one
  --dashboard HOST:PORT  where the read-only web dashboard listens (default ${DEFAULT_DASHBOARD.host}:${DEFAULT_DASHBOARD.port},
                       or any free port when that one is taken; port 0: any free port); 'mdswarm dashboard' prints its URL
  --no-dashboard       no web dashboard
  --max-atoms N        largest system accepted at submit (default ${DEFAULT_INPUT_LIMITS.maxAtoms})
  --max-steps N        most steps per job (default ${DEFAULT_INPUT_LIMITS.maxSteps})
  --max-input-mb N     largest System/Integrator/State XML and PDB, MiB (default ${DEFAULT_INPUT_LIMITS.maxXmlBytes / 2 ** 20})
  --claim-rate N       claim-protocol requests per second per node (default ${DEFAULT_CLAIM_RATE_LIMIT.ratePerSecond})
  --control-rate N     control requests per second per client (default ${DEFAULT_CONTROL_RATE_LIMIT.ratePerSecond})

allow PEERID [--admin]  let a client submit (and with --admin, change this list too)
revoke PEERID           take that right away again
allowed                 list the allowed clients
  Only clients on the list may use the coordinator. The client key of the
  coordinator's own home is the first admin. While the coordinator runs these
  go over the network as this home's client (or --coordinator's, with --home
  naming your own home); while it is stopped they edit its database directly.
`

async function start (args: string[]): Promise<number> {
  const { values } = parseFlags(args, FLAGS, USAGE)
  if (values.help === true) { process.stdout.write(HELP); return 0 }
  keepRunningOnClosedPipe()
  const leaseSeconds = integerFlag(values['lease-seconds'], 'lease-seconds', 1, 86_400)
  const maxAttempts = integerFlag(values['max-attempts'], 'max-attempts', 1, 1000)
  const maxAtoms = integerFlag(values['max-atoms'], 'max-atoms', 1)
  const maxSteps = integerFlag(values['max-steps'], 'max-steps', 1)
  const maxInputMiB = integerFlag(values['max-input-mb'], 'max-input-mb', 1, 4096)
  const claimRate = integerFlag(values['claim-rate'], 'claim-rate', 1, 1_000_000)
  const controlRate = integerFlag(values['control-rate'], 'control-rate', 1, 1_000_000)
  if (values.dashboard !== undefined && values['no-dashboard'] === true) throw new UsageError(`--dashboard and --no-dashboard exclude each other.\nusage: ${USAGE}`)
  if (values.open === true && values['swarm-key'] !== undefined) throw new UsageError(`--open and --swarm-key exclude each other.\nusage: ${USAGE}`)
  const dashboardAddress = values.dashboard !== undefined ? parseDashboardAddress(values.dashboard) : null
  if (values.dashboard !== undefined && dashboardAddress === null) throw new UsageError(`--dashboard wants HOST:PORT (e.g. 127.0.0.1:4180, [::1]:4180, or a port), got '${values.dashboard}'.\nusage: ${USAGE}`)
  const dashboard = values['no-dashboard'] === true ? undefined : dashboardAddress ?? { ...DEFAULT_DASHBOARD, fallbackToAnyPort: true }
  const daemon = await CoordinatorDaemon.start({
    ...(dashboard !== undefined ? { dashboard } : {}),
    ...(values['swarm-key'] !== undefined ? { swarmKeyFile: values['swarm-key'] } : {}),
    ...(values.open === true ? { open: true } : {}),
    inputLimits: {
      ...(maxAtoms !== undefined ? { maxAtoms } : {}),
      ...(maxSteps !== undefined ? { maxSteps } : {}),
      ...(maxInputMiB !== undefined ? { maxXmlBytes: maxInputMiB * 2 ** 20, maxPdbBytes: maxInputMiB * 2 ** 20 } : {}),
    },
    rateLimits: {
      ...(claimRate !== undefined ? { claim: { ...DEFAULT_CLAIM_RATE_LIMIT, ratePerSecond: claimRate, burst: Math.max(DEFAULT_CLAIM_RATE_LIMIT.burst, 2 * claimRate) } } : {}),
      ...(controlRate !== undefined ? { control: { ...DEFAULT_CONTROL_RATE_LIMIT, ratePerSecond: controlRate, burst: Math.max(DEFAULT_CONTROL_RATE_LIMIT.burst, 2 * controlRate) } } : {}),
    },
    ...(values.home !== undefined ? { home: values.home } : {}),
    ...(values.listen !== undefined ? { listen: values.listen } : {}),
    ...(values.network !== undefined ? { network: values.network } : {}),
    ...(leaseSeconds !== undefined ? { leaseTtlMs: leaseSeconds * 1000 } : {}),
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
  })
  process.stdout.write(`coordinator ${daemon.peerId} on network '${daemon.network}'\n`)
  for (const address of daemon.multiaddrs) process.stdout.write(`  listening on ${address}\n`)
  if (daemon.dashboardUrl !== null) process.stdout.write(`  dashboard ${daemon.dashboardUrl}\n`)
  process.stdout.write(`  home ${daemon.home}; press Ctrl-C to stop\n`)
  if (daemon.privateNetwork) process.stdout.write(`  private network: peers need its swarm key${daemon.swarmKeyFile !== undefined ? ` (${daemon.swarmKeyFile}; clients with this home use it without flags)` : ''}\n`)
  daemon.on('network-mismatch', ({ peerId, network }) => {
    process.stdout.write(`peer ${peerId} is on network '${network}', not this coordinator's '${daemon.network}': its units run, but its heartbeats (ns/day, load) and our offers never reach each other; restart it with --network ${daemon.network} (or without --network)\n`)
  })
  daemon.on('lease-expired', (unitIds) => { process.stdout.write(`requeued after lease expiry: ${unitIds.join(', ')}\n`) })
  daemon.on('refusal', (r) => {
    const suppressed = r.suppressedBefore > 0 ? ` (${r.suppressedBefore} more refusals not shown)` : ''
    process.stdout.write(`refused ${r.kind} from ${r.peerId}: ${r.detail}${suppressed}\n`)
  })
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.stdout.write(`${signal}: stopping coordinator\n`)
      process.off('SIGINT', onInt)
      process.off('SIGTERM', onTerm)
      resolve()
    }
    const onInt = (): void => { stop('SIGINT') }
    const onTerm = (): void => { stop('SIGTERM') }
    process.on('SIGINT', onInt)
    process.on('SIGTERM', onTerm)
  })
  await daemon.stop()
  process.stdout.write('coordinator stopped\n')
  // gossipsub leaves a timer behind after stop(); do not linger for it.
  setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref()
  return 0
}

const ALLOW_FLAGS = { ...CLIENT_FLAGS, admin: { type: 'boolean' } } as const

async function allowList (sub: 'allow' | 'revoke' | 'allowed', args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, ALLOW_FLAGS, USAGE, true)
  if (values.help === true) { process.stdout.write(HELP); return 0 }
  const wanted = sub === 'allowed' ? 0 : 1
  if (positionals.length !== wanted) throw new UsageError(sub === 'allowed' ? `'allowed' takes no arguments.\nusage: ${USAGE}` : `'${sub}' needs exactly one PEERID.\nusage: ${USAGE}`)
  if (values.admin === true && sub !== 'allow') throw new UsageError(`--admin goes with 'allow'.\nusage: ${USAGE}`)
  return await withAllowList(values, async (access) => {
    const peerId = positionals[0]
    const result = sub === 'allow'
      ? await access.allow(peerId, values.admin === true ? true : undefined)
      : sub === 'revoke' ? await access.revoke(peerId) : { clients: await access.list(), changed: false }
    if (values.json === true) { printJson(result); return 0 }
    if (sub === 'allow') process.stdout.write(result.changed ? `allowed ${peerId}${values.admin === true ? ' (admin)' : ''}\n` : `${peerId} was already allowed\n`)
    if (sub === 'revoke') process.stdout.write(result.changed ? `revoked ${peerId}\n` : `${peerId} was not on the allow-list\n`)
    if (sub === 'allowed') {
      process.stdout.write(table(['PEER', 'ADMIN', 'ADDED', 'BY'], result.clients.map((c) => [c.peerId, c.admin ? 'yes' : 'no', ago(c.addedAt), c.addedBy])))
    }
    if (access.via === 'database') process.stdout.write('(the coordinator is not running: changed its database directly)\n')
    return 0
  })
}

export async function run (args: string[]): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'start') return await start(rest)
  if (sub === 'allow' || sub === 'revoke' || sub === 'allowed') return await allowList(sub, rest)
  if (sub === undefined || sub === '--help' || sub === '-h') { process.stdout.write(HELP); return sub === undefined ? 2 : 0 }
  throw new UsageError(`unknown subcommand '${sub}'.\nusage: ${USAGE}`)
}
