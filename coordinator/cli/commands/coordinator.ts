/**
 * `mdswarm coordinator start [--listen MULTIADDR]... [--network NAME] [--home DIR] [--lease-seconds N]`:
 * runs the coordinator in the foreground until SIGINT/SIGTERM, then shuts
 * down cleanly. Writes `<home>/coordinator.json` for client commands.
 */
import { UsageError } from '../../../src/cli/run-command.ts'
import { CoordinatorDaemon, DEFAULT_COORDINATOR_LISTEN } from '../../daemon.ts'
import { integerFlag, parseFlags } from '../flags.ts'

export const summary = 'Run the coordinator daemon (subcommand: start)'

const USAGE = 'mdswarm coordinator start [--listen MULTIADDR]... [--network NAME] [--home DIR] [--lease-seconds N] [--max-attempts N]'

const FLAGS = {
  listen: { type: 'string', multiple: true },
  network: { type: 'string' },
  home: { type: 'string' },
  'lease-seconds': { type: 'string' },
  'max-attempts': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

const HELP = `usage: ${USAGE}

Runs the coordinator in the foreground (Ctrl-C or SIGTERM stops it cleanly).
  --listen MULTIADDR   address to listen on (repeatable; default ${DEFAULT_COORDINATOR_LISTEN})
  --network NAME       network name (topics, DHT); default 'default'
  --home DIR           home folder (default $MDSWARM_HOME or ~/.mdswarm): key, database, coordinator.json
  --lease-seconds N    how long a node keeps a unit without renewing (default 30)
  --max-attempts N     failed attempts of a unit before its job fails (default 3)
`

async function start (args: string[]): Promise<number> {
  const { values } = parseFlags(args, FLAGS, USAGE)
  if (values.help === true) { process.stdout.write(HELP); return 0 }
  const leaseSeconds = integerFlag(values['lease-seconds'], 'lease-seconds', 1, 86_400)
  const maxAttempts = integerFlag(values['max-attempts'], 'max-attempts', 1, 1000)
  const daemon = await CoordinatorDaemon.start({
    ...(values.home !== undefined ? { home: values.home } : {}),
    ...(values.listen !== undefined ? { listen: values.listen } : {}),
    ...(values.network !== undefined ? { network: values.network } : {}),
    ...(leaseSeconds !== undefined ? { leaseTtlMs: leaseSeconds * 1000 } : {}),
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
  })
  process.stdout.write(`coordinator ${daemon.peerId} on network '${daemon.network}'\n`)
  for (const address of daemon.multiaddrs) process.stdout.write(`  listening on ${address}\n`)
  process.stdout.write(`  home ${daemon.home}; press Ctrl-C to stop\n`)
  daemon.on('lease-expired', (unitIds) => { process.stdout.write(`requeued after lease expiry: ${unitIds.join(', ')}\n`) })
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

export async function run (args: string[]): Promise<number> {
  const [sub, ...rest] = args
  if (sub === 'start') return await start(rest)
  if (sub === undefined || sub === '--help' || sub === '-h') { process.stdout.write(HELP); return sub === undefined ? 2 : 0 }
  throw new UsageError(`unknown subcommand '${sub}'.\nusage: ${USAGE}`)
}
