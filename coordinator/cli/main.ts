/**
 * `mdswarm`: the coordinator daemon and the client commands.
 * Each command lives in `./commands/<name>.ts` and is loaded on demand.
 */
import { runCli, type CommandTable } from '../../src/cli/run-command.ts'

const commands: CommandTable = {
}

await runCli('mdswarm', commands, process.argv.slice(2))
