/**
 * `mdswarm-node start`: runs the node daemon in the foreground until
 * SIGINT/SIGTERM, then stops cleanly (work in progress stays in the home's
 * outbox and resumes on the next start).
 *
 *   mdswarm-node start --coordinator MULTIADDR [--concurrency N] [--home DIR]
 *     [--network NAME] [--listen MULTIADDR]... [--swarm-key FILE] [--json]
 *     [--engine builtin|openmm] [--python PATH] [--platform NAME] [--property KEY=VALUE]...
 *
 * Without --coordinator it uses the coordinator.json in the home, if any
 * (a node sharing a home with its coordinator, as in a one-machine swarm),
 * with that coordinator's network and swarm key file. Without --network the
 * node takes its coordinator's network (from coordinator.json, or from the
 * coordinator itself once connected); with a different --network it says so.
 */
import { keepRunningOnClosedPipe, UsageError } from '../../../src/cli/run-command.ts'
import { resolveHome } from '../../../src/p2p/home.ts'
import { DEFAULT_NETWORK } from '../../../src/p2p/topics.ts'
import { resolveSwarmKey } from '../../../src/p2p/swarm-key.ts'
import { dialOrder, homeCoordinatorFor } from '../../../src/client/coordinator-info.ts'
import { NodeDaemon } from '../../daemon.ts'
import { integerFlag, parseFlags, parseProperties } from '../parse-flags.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

export const summary = COMMAND_SUMMARIES.start

const USAGE = 'mdswarm-node start --coordinator MULTIADDR [--concurrency N] [--home DIR] [--network NAME] [--listen MULTIADDR]... [--swarm-key FILE] [--json] [--engine builtin|openmm] [--python PATH] [--platform NAME] [--property KEY=VALUE]...'

const FLAGS = {
  coordinator: { type: 'string' },
  concurrency: { type: 'string' },
  home: { type: 'string' },
  network: { type: 'string' },
  listen: { type: 'string', multiple: true },
  'swarm-key': { type: 'string' },
  json: { type: 'boolean' },
  engine: { type: 'string' },
  python: { type: 'string' },
  platform: { type: 'string' },
  property: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' }
} as const

const HELP = `usage: ${USAGE}

${summary}.
  --coordinator MULTIADDR  the coordinator's address, ending in /p2p/<peer id> (default: <home>/coordinator.json)
  --concurrency N          units run at once (default: one per CPU core)
  --home DIR               peer key, outbox and payload cache (default: $MDSWARM_HOME or ~/.mdswarm)
  --network NAME           network name (default: the coordinator's, learned when the node connects; '${DEFAULT_NETWORK}' until then)
  --listen MULTIADDR       address to listen on, repeatable (default: /ip4/127.0.0.1/tcp/0); the node dials out, so none is needed behind NAT
  --swarm-key FILE         pre-shared key of a private network (default: the key file named in <home>/coordinator.json, else <home>/swarm.key if present)
  --json                   one JSON object per line (started, unit events) instead of text
  --engine builtin|openmm  engine for units that accept any (default: builtin, or openmm when it has a GPU here)
  --python PATH            interpreter with OpenMM (default: /usr/bin/python3, conda, python3 on PATH)
  --platform NAME          OpenMM platform for units that name none (default: the fastest that works)
  --property KEY=VALUE     OpenMM platform property, e.g. CudaPrecision=mixed, Threads=2 (repeatable)
`

export async function run (args: string[]): Promise<number> {
  const flags = parseFlags(args, FLAGS, USAGE)
  if (flags.help === true) {
    process.stdout.write(HELP)
    return 0
  }
  keepRunningOnClosedPipe()
  const home = resolveHome(flags.home)
  if (flags.coordinator === '') throw new UsageError(`--coordinator needs a MULTIADDR. Usage: ${USAGE}`)
  // The coordinator of this home (coordinator.json), when it is the one used: its network and key apply without flags.
  const homeCoordinator = homeCoordinatorFor(home, flags.coordinator)
  const coordinator = flags.coordinator ?? (homeCoordinator !== undefined ? dialOrder(homeCoordinator.multiaddrs)[0] : undefined)
  if (coordinator === undefined) throw new UsageError(`--coordinator is required (no coordinator.json in ${home}). Usage: ${USAGE}`)
  const network = flags.network ?? homeCoordinator?.network
  const concurrency = flags.concurrency !== undefined ? integerFlag(flags.concurrency, 'concurrency', 1, 1024) : undefined
  const swarmKey = resolveSwarmKey({ home, file: flags['swarm-key'], recorded: homeCoordinator?.swarmKeyFile })
  const json = flags.json === true
  const preferred = flags.engine as 'builtin' | 'openmm' | undefined
  if (preferred !== undefined && preferred !== 'builtin' && preferred !== 'openmm') throw new UsageError(`--engine must be builtin or openmm, got '${preferred}'. Usage: ${USAGE}`)
  const enginePreferences = {
    ...(preferred !== undefined ? { preferred } : {}),
    ...(flags.python !== undefined ? { python: flags.python } : {}),
    ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
    ...(flags.property !== undefined ? { properties: parseProperties(flags.property) } : {})
  }
  const print = (event: string, fields: Record<string, unknown>, text: string): void => {
    process.stdout.write(json ? `${JSON.stringify({ event, ...fields })}\n` : `${text}\n`)
  }

  const daemon = await NodeDaemon.create({ home, coordinator, concurrency, network, listen: flags.listen, swarmKey, enginePreferences })
  print('started', { peerId: daemon.peerId, multiaddrs: daemon.multiaddrs, coordinator, network: daemon.network, networkGiven: network !== undefined, concurrency: daemon.capabilities.concurrency, home },
    `mdswarm-node ${daemon.peerId}\n  listening on ${daemon.multiaddrs.join(', ')}\n  coordinator ${coordinator}\n  network '${daemon.network}'${network !== undefined ? '' : ' until the coordinator says which it runs'}${swarmKey !== undefined ? ' (private: swarm key)' : ''}\n  running up to ${daemon.capabilities.concurrency} unit(s) at once; Ctrl-C stops`)
  daemon.on('connected', () => { print('connected', {}, 'connected to the coordinator') })
  daemon.on('disconnected', () => { print('disconnected', {}, 'lost the coordinator; reconnecting…') })
  daemon.on('unit-started', e => { print('unit-started', e, `${e.resumed ? 'resumed' : 'started'} unit ${e.unitId} (attempt ${e.attempt}) from step ${e.fromStep}`) })
  daemon.on('unit-completed', e => { print('unit-completed', e, `completed unit ${e.unitId}: ${e.frames} frames, ${(e.engineMs / 1000).toFixed(1)} s of engine time`) })
  daemon.on('unit-failed', e => { print('unit-failed', e, `unit ${e.unitId} failed: ${e.errorName}: ${e.reason}`) })
  daemon.on('network-adopted', e => { print('network-adopted', e, `joined the coordinator's network '${e.to}' (pass --network ${e.to} to start on it)`) })
  daemon.on('network-mismatch', e => {
    print('network-mismatch', e, `this node is on network '${e.network}' but the coordinator runs '${e.coordinatorNetwork}': units still run, but its heartbeats (ns/day, load) and the coordinator's offers never reach each other; restart with --network ${e.coordinatorNetwork}, or without --network`)
  })
  daemon.on('refused', e => { print('refused', e, e.message) })
  daemon.on('offers-ignored', e => { print('offers-ignored', e, `ignored ${e.count} offer(s) from ${e.from}: not our coordinator (${e.total} in all)`) })
  daemon.on('unit-abandoned', e => { print('unit-abandoned', e, `stopped unit ${e.unitId}: ${e.reason}`) })
  await daemon.begin()

  await new Promise<void>(resolve => {
    const onSignal = (signal: NodeJS.Signals): void => {
      print('stopping', { signal }, `${signal}: stopping (unfinished work resumes on the next start)…`)
      process.once(signal, () => process.exit(130)) // a second signal does not wait
      resolve()
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
  })
  await daemon.stop()
  print('stopped', {}, 'stopped')
  // gossipsub leaves a timer behind after stop(); do not linger for it.
  setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref()
  return 0
}
