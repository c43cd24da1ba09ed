import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PayloadCache, sha256Hex } from '../../node/payload-cache.ts'

test('payloads are stored by hash, verified on write and on read', async t => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-cache-'))
  t.teardown(() => { fs.rmSync(home, { recursive: true, force: true }) })
  const cache = new PayloadCache(home)
  const bytes = new TextEncoder().encode('<System/>')
  const hash = sha256Hex(bytes)

  t.is(await cache.get(hash), undefined)
  const wrong = await t.throwsAsync(cache.put(hash, new TextEncoder().encode('<Other/>')))
  t.is(wrong?.name, 'PayloadHashMismatchError')
  const invalid = await t.throwsAsync(cache.get('../../etc/passwd'))
  t.is(invalid?.name, 'InvalidPayloadHashError')

  let fetches = 0
  const fetch = async (): Promise<Uint8Array> => { fetches += 1; return bytes }
  t.deepEqual(await cache.getOrFetch(hash, fetch), bytes)
  t.deepEqual(await cache.getOrFetch(hash, fetch), bytes)
  t.is(fetches, 1)

  // A file damaged on disk is dropped and fetched again.
  fs.writeFileSync(path.join(cache.directory, hash.slice(0, 2), hash), 'damaged')
  t.is(await cache.get(hash), undefined)
  t.deepEqual(await cache.getOrFetch(hash, fetch), bytes)
  t.is(fetches, 2)
})
