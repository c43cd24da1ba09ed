/** `mdswarm cancel JOB... [--reason TEXT] [--json]`: cancels jobs; running units stop on their nodes within seconds. */
import { UsageError } from '../../../src/cli/run-command.ts'
import { CLIENT_FLAGS, parseFlags } from '../flags.ts'
import { printJson, withClient } from '../client-session.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

export const summary = COMMAND_SUMMARIES.cancel

const USAGE = 'mdswarm cancel JOB... [--reason TEXT] [--coordinator MULTIADDR] [--home DIR] [--swarm-key FILE] [--json]'

export async function run (args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(args, { ...CLIENT_FLAGS, reason: { type: 'string' } }, USAGE, true)
  if (values.help === true) { process.stdout.write(`usage: ${USAGE}\n`); return 0 }
  if (positionals.length === 0) throw new UsageError(`give at least one job id.\nusage: ${USAGE}`)
  return await withClient(values, async (client) => {
    const jobs = []
    for (const id of positionals) jobs.push(await client.cancel(id, values.reason))
    if (values.json === true) printJson({ jobs })
    else for (const job of jobs) process.stdout.write(`${job.id}  ${job.state}${job.state !== 'cancelled' ? ' (already finished; nothing to cancel)' : ''}\n`)
    return 0
  })
}
