/**
 * Shared CLI plumbing for both binaries: dispatch `argv[0]` to a command
 * module, print typed errors as one clear line (never a bare stack trace),
 * and set the exit code. Set MDSWARM_DEBUG=1 to also print stacks.
 */
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface CommandModule {
  /** One-line summary for `--help`. */
  readonly summary: string
  /** Runs the command with the arguments after its name; returns the exit code. */
  run (args: string[]): Promise<number>
}

export type CommandTable = Record<string, () => Promise<CommandModule>>

/** Thrown for wrong or missing flags; printed with the command's usage. */
export class UsageError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** mdswarm's version, from its package.json. */
function packageVersion (): string {
  try {
    const file = fileURLToPath(new URL('../../package.json', import.meta.url))
    return String((JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: unknown }).version ?? 'unknown')
  } catch {
    return 'unknown'
  }
}

let daemonOutput = false

/**
 * A daemon calls this when it starts: its output going to a closed pipe (a
 * `| tee` that died) then loses the log lines but never stops the daemon
 * (an exit, even 0, would stop the work it holds).
 */
export function keepRunningOnClosedPipe (): void {
  daemonOutput = true
}

/**
 * Output to a closed pipe (`mdswarm status JOB | head -n 1`) ends the
 * command quietly with exit code 0, as SIGPIPE ends a C program: the reader
 * has all it wanted; a daemon keeps running (keepRunningOnClosedPipe).
 * Other stream errors stay errors.
 */
function endQuietlyOnClosedPipe (): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err
      if (!daemonOutput) process.exit(0)
    })
  }
}

/**
 * Runs the command `argv[0]` of `commands`. `summaries` (one line per command, the same as each module's
 * `summary`) lets `--help` list the commands without loading them.
 */
export async function runCli (binary: string, commands: CommandTable, argv: string[], summaries: Readonly<Record<string, string>> = {}): Promise<void> {
  endQuietlyOnClosedPipe()
  const [name, ...rest] = argv
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`${binary} ${packageVersion()} (Node.js ${process.versions.node})\n`)
    process.exitCode = 0
    return
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`usage: ${binary} <command> [options]\n\ncommands:\n`)
    for (const [commandName, load] of Object.entries(commands)) {
      const summary = summaries[commandName] ?? (await load()).summary
      process.stdout.write(`  ${commandName.padEnd(14)} ${summary}\n`)
    }
    process.exitCode = name === undefined ? 1 : 0
    return
  }
  const load = commands[name]
  if (load === undefined) {
    process.stderr.write(`${binary}: unknown command '${name}'. Run '${binary} --help' for the list.\n`)
    process.exitCode = 2
    return
  }
  try {
    const mod = await load()
    process.exitCode = await mod.run(rest)
  } catch (err) {
    process.exitCode = reportError(binary, name, err)
  }
}

/** Prints an error as `<binary> <command>: <Name>: <message>` and returns the exit code. */
export function reportError (binary: string, command: string, err: unknown): number {
  const e = err instanceof Error ? err : new Error(String(err))
  const label = e.name !== 'Error' ? `${e.name}: ` : ''
  process.stderr.write(`${binary} ${command}: ${label}${e.message}\n`)
  if (process.env.MDSWARM_DEBUG === '1' && e.stack !== undefined) process.stderr.write(`${e.stack}\n`)
  return e.name === 'UsageError' ? 2 : 1
}
