/**
 * `mdswarm-node`: the node daemon and local engine commands.
 * Each command lives in `./commands/<name>.ts` and is loaded on demand.
 */
import { runCli, type CommandTable } from '../../src/cli/run-command.ts'
import { COMMAND_SUMMARIES } from './command-summaries.ts'

const commands: CommandTable = {
  capabilities: async () => await import('./commands/capabilities.ts'),
  energy: async () => await import('./commands/energy.ts'),
  run: async () => await import('./commands/run.ts'),
  start: async () => await import('./commands/start.ts'),
}

await runCli('mdswarm-node', commands, process.argv.slice(2), COMMAND_SUMMARIES)
