/**
 * Flag parsing for the `mdswarm` commands (node:util parseArgs, strict):
 * unknown flags and bad numbers become UsageError with the command's usage.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from '../../src/cli/run-command.ts'

export type FlagSpec = NonNullable<ParseArgsConfig['options']>

/** Flags every client command takes. */
export const CLIENT_FLAGS = {
  home: { type: 'string' },
  coordinator: { type: 'string' },
  'swarm-key': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export function parseFlags<T extends FlagSpec> (args: string[], options: T, usage: string, allowPositionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals })
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nusage: ${usage}`)
  }
}

/** A whole-number flag (undefined when absent); UsageError when not a whole number within [min, max]. */
export function integerFlag (value: string | boolean | undefined, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !/^-?\d+$/.test(value.trim())) throw new UsageError(`--${name} must be a whole number, got '${String(value)}'.`)
  const number = Number(value)
  if (!Number.isSafeInteger(number) || number < min || number > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${value}.`)
  return number
}

export function requireFlag<T> (value: T | undefined, name: string, usage: string): T {
  if (value === undefined) throw new UsageError(`--${name} is required.\nusage: ${usage}`)
  return value
}
