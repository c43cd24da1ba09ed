/**
 * `mdswarm`: the coordinator daemon and the client commands.
 * Each command lives in `./commands/<name>.ts` and is loaded on demand.
 */
import { runCli, type CommandTable } from '../../src/cli/run-command.ts'
import { COMMAND_SUMMARIES } from './command-summaries.ts'

const commands: CommandTable = {
  coordinator: async () => await import('./commands/coordinator.ts'),
  submit: async () => await import('./commands/submit.ts'),
  jobs: async () => await import('./commands/jobs.ts'),
  status: async () => await import('./commands/status.ts'),
  wait: async () => await import('./commands/wait.ts'),
  fetch: async () => await import('./commands/fetch.ts'),
  cancel: async () => await import('./commands/cancel.ts'),
  peers: async () => await import('./commands/peers.ts'),
  dashboard: async () => await import('./commands/dashboard.ts'),
  convert: async () => await import('./commands/convert.ts'),
  keygen: async () => await import('./commands/keygen.ts'),
  whoami: async () => await import('./commands/whoami.ts'),
}

await runCli('mdswarm', commands, process.argv.slice(2), COMMAND_SUMMARIES)
