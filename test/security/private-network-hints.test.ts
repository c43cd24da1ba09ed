/**
 * A private network (swarm key) from a newcomer's side, all real processes:
 * the coordinator records in coordinator.json that its network is private and
 * where its key is, so client commands with its home need no flags; a client
 * or node without the key is told in one line what to pass.
 */
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { writeSwarmKeyFile } from '../../src/p2p/swarm-key.ts'
import { explainDialFailure, probeNetworkKind } from '../../src/p2p/network-probe.ts'
import { readCoordinatorInfo } from '../../src/client/coordinator-info.ts'
import { runCliCommand, startCoordinator, startNode, tempDir } from '../swarm/helpers/processes.ts'

const HINT = 'this coordinator runs a private network: pass --swarm-key FILE'

test('private coordinator: its own home needs no flags; a keyless client and node get one clear line', async t => {
  const root = tempDir(t, 'private-hints')
  const key = path.join(root, 'swarm.key') // outside the coordinator's home, as in the README
  writeSwarmKeyFile(key)
  const coordinator = await startCoordinator(t, path.join(root, 'coordinator'), { args: ['--swarm-key', key, '--no-dashboard'] })
  t.truthy(await coordinator.proc.waitForLine(/private network/, 10_000))
  const info = readCoordinatorInfo(coordinator.home)
  t.true(info.privateNetwork)
  t.is(info.swarmKeyFile, key)

  const own = await runCliCommand(t, 'mdswarm', ['peers', '--json', '--home', coordinator.home])
  t.is(own.code, 0, own.stderr)
  t.true((JSON.parse(own.stdout) as { peers: Array<{ peerId: string }> }).peers.some(p => p.peerId === coordinator.peerId))

  const stranger = await runCliCommand(t, 'mdswarm', ['peers', '--json', '--home', path.join(root, 'stranger'), '--coordinator', coordinator.address])
  t.not(stranger.code, 0)
  t.regex(stranger.stderr, /PrivateNetworkError/)
  t.true(stranger.stderr.includes(HINT), stranger.stderr)

  const keyless = await startNode(t, path.join(root, 'keyless'), coordinator.address, { name: 'keyless' })
  const refused = JSON.parse(await keyless.proc.waitForLine(/"event":"refused"/, 30_000)) as { errorName: string, message: string }
  t.is(refused.errorName, 'PrivateNetworkError')
  t.true(refused.message.includes(HINT))
  t.true(keyless.proc.alive, 'it keeps retrying')
})

test('the probe tells a private coordinator from an open one, and from nothing listening', async t => {
  const root = tempDir(t, 'probe')
  const key = path.join(root, 'k')
  writeSwarmKeyFile(key)
  const [closed, open] = await Promise.all([
    startCoordinator(t, path.join(root, 'private'), { args: ['--swarm-key', key, '--no-dashboard'], name: 'private' }),
    startCoordinator(t, path.join(root, 'open'), { args: ['--no-dashboard'], name: 'open' })
  ])
  t.is(await probeNetworkKind(closed.address), 'private')
  t.is(await probeNetworkKind(open.address), 'open')
  t.is((await explainDialFailure(open.address, { hasSwarmKey: true }))?.name, 'SwarmKeyMismatchError')
  t.is(await explainDialFailure(open.address, { hasSwarmKey: false }), null)
  t.is((await explainDialFailure(closed.address, { hasSwarmKey: false }))?.name, 'PrivateNetworkError')
  // A client with a key against an open coordinator is told to drop it.
  const keyed = await runCliCommand(t, 'mdswarm', ['peers', '--home', path.join(root, 'keyed'), '--coordinator', open.address, '--swarm-key', key])
  t.not(keyed.code, 0)
  t.regex(keyed.stderr, /SwarmKeyMismatchError/)
  t.regex(keyed.stderr, /open network/)
  // Nothing listening: not a key problem.
  const port = Number(open.address.split('/')[4])
  open.proc.kill('SIGKILL')
  await open.proc.exited
  t.is(await probeNetworkKind(`/ip4/127.0.0.1/tcp/${port}`), 'unreachable')
  t.true(fs.existsSync(key))
})
