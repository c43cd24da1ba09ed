/** Opening and closing the client for one CLI command. */
import { connect, type MdswarmClient } from '../../src/client/client.ts'
import { checkHomeCreatable } from './home-flag.ts'

export interface ClientFlags {
  readonly home?: string
  readonly coordinator?: string
  /** Swarm key file of a private network. */
  readonly 'swarm-key'?: string
}

/** Runs `body` with a connected client and always closes it. A home inside a missing folder is refused (home-flag.ts). */
export async function withClient<T> (flags: ClientFlags, body: (client: MdswarmClient) => Promise<T>): Promise<T> {
  checkHomeCreatable(flags.home)
  const client = await connect({
    ...(flags.home !== undefined ? { home: flags.home } : {}),
    ...(flags.coordinator !== undefined ? { coordinator: flags.coordinator } : {}),
    ...(flags['swarm-key'] !== undefined ? { swarmKeyFile: flags['swarm-key'] } : {}),
  })
  try {
    return await body(client)
  } finally {
    await client.close()
  }
}

export function printJson (value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}
