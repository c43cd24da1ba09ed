/**
 * `mdswarm whoami [--home DIR] [--json]`: this home's client peer ID, the
 * one a coordinator operator adds with `mdswarm coordinator allow PEERID`.
 * Creates the client key if the home has none yet (and the home folder,
 * only inside a folder that exists: home-flag.ts).
 */
import path from 'node:path'
import { loadOrCreatePrivateKey, peerIdStringOf } from '../../../src/p2p/identity.ts'
import { HOME_CLIENT_DIR } from '../../daemon.ts'
import { parseFlags } from '../flags.ts'
import { printJson } from '../client-session.ts'
import { clientHome } from '../home-flag.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

export const summary = COMMAND_SUMMARIES.whoami

const USAGE = 'mdswarm whoami [--home DIR] [--json]'

const FLAGS = {
  home: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function run (args: string[]): Promise<number> {
  const { values } = parseFlags(args, FLAGS, USAGE)
  if (values.help === true) { process.stdout.write(`usage: ${USAGE}\n`); return 0 }
  const home = clientHome(values.home)
  const peerId = peerIdStringOf(await loadOrCreatePrivateKey(path.join(home, HOME_CLIENT_DIR)))
  if (values.json === true) printJson({ peerId })
  else process.stdout.write(`${peerId}\n`)
  return 0
}
