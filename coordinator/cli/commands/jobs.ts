/** `mdswarm jobs [--json]`: every job on the coordinator, oldest first. `--json` → `{"jobs": [...]}`. */
import { CLIENT_FLAGS, parseFlags } from '../flags.ts'
import { printJson, withClient } from '../client-session.ts'
import { jobNote, percent, table } from '../format.ts'
import { COMMAND_SUMMARIES } from '../command-summaries.ts'

export const summary = COMMAND_SUMMARIES.jobs

const USAGE = 'mdswarm jobs [--coordinator MULTIADDR] [--home DIR] [--swarm-key FILE] [--json]'

export async function run (args: string[]): Promise<number> {
  const { values } = parseFlags(args, CLIENT_FLAGS, USAGE)
  if (values.help === true) { process.stdout.write(`usage: ${USAGE}\n`); return 0 }
  return await withClient(values, async (client) => {
    const jobs = await client.jobs()
    if (values.json === true) { printJson({ jobs }); return 0 }
    if (jobs.length === 0) { process.stdout.write('no jobs\n'); return 0 }
    process.stdout.write(table(['ID', 'NAME', 'STATE', 'FRAMES', 'DONE', 'PRIO', 'NOTE'],
      jobs.map((j) => [j.id, j.name, j.state, `${j.framesStored}/${j.totalFrames}`, percent(j), String(j.priority), jobNote(j)])))
    return 0
  })
}
