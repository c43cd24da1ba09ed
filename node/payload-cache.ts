/**
 * Payloads (System/Integrator XML, PDB, State, checkpoints) cached on disk
 * under `<home>/payloads/<aa>/<sha256 hex>`, named by their content hash.
 * Every read re-hashes the file; a file whose bytes no longer match its name
 * is deleted and reported as missing, so it is fetched again. Recently used
 * payloads are also kept in memory (verified once, when they were read or
 * fetched), so a node running many units of one system touches the disk
 * once; concurrent fetches of one hash share one request.
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'

const HASH_PATTERN = /^[0-9a-f]{64}$/

/** A payload whose bytes do not hash to the hash it was asked for. */
export class PayloadHashMismatchError extends Error {
  readonly expectedHash: string
  readonly actualHash: string
  constructor (expectedHash: string, actualHash: string) {
    super(`Payload ${expectedHash.slice(0, 12)}… has the wrong content (its sha256 is ${actualHash.slice(0, 12)}…); it was corrupted in transit or on disk.`)
    this.name = 'PayloadHashMismatchError'
    this.expectedHash = expectedHash
    this.actualHash = actualHash
  }
}

/** A hash that is not 64 lowercase hex digits. */
export class InvalidPayloadHashError extends Error {
  constructor (hash: string) {
    super(`'${hash.slice(0, 80)}' is not a sha256 hex digest.`)
    this.name = 'InvalidPayloadHashError'
  }
}

export function sha256Hex (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Bytes of payloads kept in memory, most recently used first out last. */
export const DEFAULT_MEMORY_CACHE_BYTES = 64 * 1024 * 1024

export class PayloadCache {
  readonly directory: string
  private readonly memory = new Map<string, Uint8Array>()
  private memoryBytes = 0
  private readonly maxMemoryBytes: number
  private readonly fetching = new Map<string, Promise<Uint8Array>>()

  constructor (home: string, options: { maxMemoryBytes?: number } = {}) {
    this.directory = path.join(home, 'payloads')
    this.maxMemoryBytes = options.maxMemoryBytes ?? DEFAULT_MEMORY_CACHE_BYTES
  }

  private remember (hash: string, bytes: Uint8Array): void {
    if (bytes.byteLength > this.maxMemoryBytes / 4) return
    const old = this.memory.get(hash)
    if (old !== undefined) this.memoryBytes -= old.byteLength
    this.memory.delete(hash)
    this.memory.set(hash, bytes)
    this.memoryBytes += bytes.byteLength
    for (const [oldest, value] of this.memory) {
      if (this.memoryBytes <= this.maxMemoryBytes) break
      this.memory.delete(oldest)
      this.memoryBytes -= value.byteLength
    }
  }

  private recall (hash: string): Uint8Array | undefined {
    const bytes = this.memory.get(hash)
    if (bytes !== undefined) {
      this.memory.delete(hash)
      this.memory.set(hash, bytes)
    }
    return bytes
  }

  private fileFor (hash: string): string {
    if (!HASH_PATTERN.test(hash)) throw new InvalidPayloadHashError(hash)
    return path.join(this.directory, hash.slice(0, 2), hash)
  }

  /** The verified bytes for `hash`, or undefined when absent (or found corrupt and removed). */
  async get (hash: string): Promise<Uint8Array | undefined> {
    const file = this.fileFor(hash)
    let bytes: Buffer
    try {
      bytes = await readFile(file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    if (sha256Hex(bytes) !== hash) {
      // Damage found on disk: forget the copy in memory too, so the payload is fetched afresh.
      const kept = this.memory.get(hash)
      if (kept !== undefined) { this.memory.delete(hash); this.memoryBytes -= kept.byteLength }
      await rm(file, { force: true })
      return undefined
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** Stores `bytes` under `hash` after checking they hash to it (atomic rename). */
  async put (hash: string, bytes: Uint8Array): Promise<void> {
    const file = this.fileFor(hash)
    const actual = sha256Hex(bytes)
    if (actual !== hash) throw new PayloadHashMismatchError(hash, actual)
    await mkdir(path.dirname(file), { recursive: true })
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`
    await writeFile(temporary, bytes)
    await rename(temporary, file)
  }

  /** Cached bytes (memory, then disk), or `fetch(hash)` verified and stored. */
  async getOrFetch (hash: string, fetch: (hash: string) => Promise<Uint8Array>): Promise<Uint8Array> {
    const inMemory = this.recall(hash)
    if (inMemory !== undefined) return inMemory
    const pending = this.fetching.get(hash)
    if (pending !== undefined) return await pending
    const fetched = (async () => {
      const cached = await this.get(hash)
      if (cached !== undefined) return cached
      const bytes = await fetch(hash)
      await this.put(hash, bytes)
      return bytes
    })()
    this.fetching.set(hash, fetched)
    try {
      const bytes = await fetched
      this.remember(hash, bytes)
      return bytes
    } finally {
      this.fetching.delete(hash)
    }
  }
}
