/**
 * `mdswarm peers [--json]`: the coordinator and the nodes it knows: peer ID,
 * addresses, engines, concurrency, running units, last heartbeat, throughput.
 * `--json` → `{"peers": [{"peerId": ..., "role": "node" | "coordinator", ...}]}`.
 */
import { CLIENT_FLAGS, parseFlags } from '../flags.ts'
import { printJson, withClient } from '../client-session.ts'
import { ago, table } from '../format.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

export const summary = COMMAND_SUMMARIES.peers

const USAGE = 'mdswarm peers [--coordinator MULTIADDR] [--home DIR] [--swarm-key FILE] [--json]'

export async function run (args: string[]): Promise<number> {
  const { values } = parseFlags(args, CLIENT_FLAGS, USAGE)
  if (values.help === true) { process.stdout.write(`usage: ${USAGE}\n`); return 0 }
  return await withClient(values, async (client) => {
    const peers = await client.peers()
    if (values.json === true) { printJson({ peers }); return 0 }
    process.stdout.write(table(['PEER', 'ROLE', 'ENGINES', 'SLOTS', 'RUNNING', 'NS/DAY', 'HEARTBEAT', 'ADDRESS'], peers.map((p) => [
      p.peerId, p.role,
      Object.entries(p.engines).map(([name, e]) => `${name} ${e.version}${e.platforms.length > 0 ? ` (${e.platforms.join('/')})` : ''}`).join(', ') || '-',
      p.role === 'node' ? String(p.concurrency) : '-',
      p.running.length > 0 ? p.running.join(', ') : '-',
      p.role === 'node' ? p.nsPerDay.toFixed(2) : '-',
      p.role === 'coordinator' ? '-' : ago(p.lastHeartbeat),
      p.addresses[0] ?? (p.connected ? '' : 'not connected'),
    ])))
    return 0
  })
}
