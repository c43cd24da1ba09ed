/**
 * `mdswarm keygen swarm -o FILE [--force]`: writes a new random swarm key
 * (libp2p pnet, go-ipfs format) for a private network. Give the same file to
 * the coordinator, every node and every client (`--swarm-key FILE`); a peer
 * with another key, or none, cannot connect at all.
 */
import { UsageError } from '../../../src/cli/run-command.ts'
import { writeSwarmKeyFile } from '../../../src/p2p/swarm-key.ts'
import { parseFlags } from '../flags.ts'
import { printJson } from '../client-session.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

const FLAGS = {
  output: { type: 'string', short: 'o' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export const summary = COMMAND_SUMMARIES.keygen

const USAGE = 'mdswarm keygen swarm -o FILE [--force] [--json]'

export async function run (args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, FLAGS, USAGE, true)
  if (values.help === true) { process.stdout.write(`usage: ${USAGE}\n\nWrites a new random pre-shared key (mode 0600). Copy it to every peer of the network over a channel you trust.\n`); return 0 }
  if (positionals.length !== 1 || positionals[0] !== 'swarm') throw new UsageError(`the only key type is 'swarm'.\nusage: ${USAGE}`)
  if (values.output === undefined || values.output === '') throw new UsageError(`-o FILE is required.\nusage: ${USAGE}`)
  writeSwarmKeyFile(values.output, { overwrite: values.force === true })
  if (values.json === true) printJson({ swarmKey: values.output })
  else process.stdout.write(`wrote a new swarm key to ${values.output}; pass --swarm-key ${values.output} to the coordinator, every node and every client\n`)
  return 0
}
