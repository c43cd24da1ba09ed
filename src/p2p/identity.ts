/**
 * A stable peer identity: an Ed25519 key kept in `<home>/peer.key`
 * (libp2p protobuf encoding, file mode 0600). The peer ID is derived from it,
 * so it survives restarts.
 */
import fs from 'node:fs'
import path from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { PeerKeyError } from './errors.ts'

export const PEER_KEY_FILE_NAME = 'peer.key'

/** Loads `<home>/peer.key`, or creates it (atomically) when absent. */
export async function loadOrCreatePrivateKey (home: string): Promise<PrivateKey> {
  const keyPath = path.join(home, PEER_KEY_FILE_NAME)
  let bytes: Buffer | null = null
  try {
    bytes = fs.readFileSync(keyPath)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new PeerKeyError(keyPath, (err as Error).message)
  }
  if (bytes != null) {
    try {
      return privateKeyFromProtobuf(bytes)
    } catch (err) {
      throw new PeerKeyError(keyPath, `not a libp2p private key (${(err as Error).message})`)
    }
  }
  fs.mkdirSync(home, { recursive: true, mode: 0o700 })
  const key = await generateKeyPair('Ed25519')
  const tmpPath = `${keyPath}.${process.pid}.tmp`
  fs.writeFileSync(tmpPath, privateKeyToProtobuf(key), { mode: 0o600 })
  try {
    // link fails if another process created the key meanwhile: then use theirs.
    fs.linkSync(tmpPath, keyPath)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    fs.unlinkSync(tmpPath)
    return loadOrCreatePrivateKey(home)
  }
  fs.unlinkSync(tmpPath)
  return key
}

/** The peer ID string (base58btc) of a private key. */
export function peerIdStringOf (key: PrivateKey): string {
  return peerIdFromPrivateKey(key).toString()
}
