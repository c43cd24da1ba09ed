/**
 * A coordinator restarted with fewer flags keeps what its home last ran with
 * (coordinator.json): its network name and, above all, its swarm key, so a
 * private network never turns open unnoticed. A recorded key that is gone
 * stops the start with a typed error; --open (open: true) is the explicit way
 * to run it open.
 */
import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CoordinatorDaemon } from '../../coordinator/daemon.ts'
import { readCoordinatorInfo } from '../../src/client/coordinator-info.ts'
import { writeSwarmKeyFile } from '../../src/p2p/swarm-key.ts'

const LISTEN = ['/ip4/127.0.0.1/tcp/0']

test('a restart without flags keeps the network name and the swarm key; a missing key refuses; --open opens', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-private-restart-'))
  t.teardown(() => { fs.rmSync(root, { recursive: true, force: true }) })
  const home = path.join(root, 'coordinator')
  const keyFile = path.join(root, 'swarm.key')
  writeSwarmKeyFile(keyFile)

  const first = await CoordinatorDaemon.start({ home, listen: LISTEN, network: 'mylab', swarmKeyFile: keyFile })
  t.true(first.privateNetwork)
  await first.stop()

  const again = await CoordinatorDaemon.start({ home, listen: LISTEN })
  try {
    t.is(again.network, 'mylab')
    t.true(again.privateNetwork)
    t.is(again.swarmKeyFile, keyFile)
    t.like(readCoordinatorInfo(home), { network: 'mylab', privateNetwork: true, swarmKeyFile: keyFile })
  } finally {
    await again.stop()
  }

  fs.renameSync(keyFile, `${keyFile}.moved`)
  await t.throwsAsync(CoordinatorDaemon.start({ home, listen: LISTEN }), { name: 'RecordedSwarmKeyMissingError' })

  const opened = await CoordinatorDaemon.start({ home, listen: LISTEN, open: true })
  try {
    t.false(opened.privateNetwork)
    t.is(opened.network, 'mylab')
    t.is(readCoordinatorInfo(home).privateNetwork, undefined)
  } finally {
    await opened.stop()
  }
  // once open, a plain restart stays open
  const openAgain = await CoordinatorDaemon.start({ home, listen: LISTEN })
  try {
    t.false(openAgain.privateNetwork)
  } finally {
    await openAgain.stop()
  }
})
