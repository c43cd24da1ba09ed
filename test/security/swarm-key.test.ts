/**
 * Private networks (libp2p pnet), all real processes: a node with another
 * swarm key, or with none, never connects and never appears in
 * `mdswarm peers`; a node with the right key does; a client with the wrong
 * key cannot reach the coordinator at all, and is told its key is not accepted.
 */
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { writeSwarmKeyFile } from '../../src/p2p/swarm-key.ts'
import { eventually, runCliCommand, startCoordinator, startNode, tempDir } from '../swarm/helpers/processes.ts'

interface PeersJson { peers: Array<{ peerId: string, role: string }> }

test('only peers with the coordinator\'s swarm key join: wrong key or none never shows in peers', async t => {
  const root = tempDir(t, 'swarm-key')
  const started = Date.now()
  const mark = (what: string): void => { t.log(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`) }
  const rightKey = path.join(root, 'right.key')
  const wrongKey = path.join(root, 'wrong.key')
  const made = await runCliCommand(t, 'mdswarm', ['keygen', 'swarm', '-o', rightKey, '--json'])
  t.is(made.code, 0, made.stderr)
  t.deepEqual(JSON.parse(made.stdout), { swarmKey: rightKey })
  writeSwarmKeyFile(wrongKey)
  t.regex(fs.readFileSync(rightKey, 'utf8'), /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}/)
  t.is(fs.statSync(rightKey).mode & 0o777, 0o600)
  t.notDeepEqual(fs.readFileSync(rightKey), fs.readFileSync(wrongKey))
  const again = await runCliCommand(t, 'mdswarm', ['keygen', 'swarm', '-o', rightKey])
  t.not(again.code, 0, 'keygen must not overwrite a key')
  t.regex(again.stderr, /SwarmKeyError/)

  mark('keys made')
  const coordinator = await startCoordinator(t, path.join(root, 'coordinator'), { args: ['--swarm-key', rightKey] })
  const [good, wrong, keyless] = await Promise.all([
    startNode(t, path.join(root, 'good'), coordinator.address, { name: 'good', args: ['--swarm-key', rightKey] }),
    startNode(t, path.join(root, 'wrong'), coordinator.address, { name: 'wrong', args: ['--swarm-key', wrongKey] }),
    startNode(t, path.join(root, 'keyless'), coordinator.address, { name: 'keyless' })
  ])

  mark('daemons started')
  const peers = async (): Promise<PeersJson> => {
    const result = await runCliCommand(t, 'mdswarm', ['peers', '--json', '--home', coordinator.home, '--swarm-key', rightKey])
    if (result.code !== 0) throw new Error(result.stderr)
    return JSON.parse(result.stdout) as PeersJson
  }
  const listed = await eventually('the node with the right key to appear in peers', async () => {
    const list = await peers()
    return list.peers.some(p => p.peerId === good.peerId && p.role === 'node') ? list : undefined
  }, 60_000, 1000)
  t.true(listed.peers.some(p => p.role === 'coordinator' && p.peerId === coordinator.peerId))
  mark('good node listed')

  // Give the others several heartbeat intervals and redials.
  await new Promise(resolve => setTimeout(resolve, 4000))
  const later = await peers()
  t.true(later.peers.some(p => p.peerId === good.peerId))
  for (const outsider of [wrong, keyless]) {
    t.false(later.peers.some(p => p.peerId === outsider.peerId), `${outsider.proc.name} must not appear in peers`)
    t.false(outsider.proc.events().some(e => e.event === 'connected'), `${outsider.proc.name} must never connect`)
    t.true(outsider.proc.alive, 'an outsider keeps retrying without crashing')
  }
  t.true(good.proc.events().some(e => e.event === 'connected'))

  mark('outsiders checked')
  // A client with the wrong key cannot reach the coordinator either.
  const outsiderClient = await runCliCommand(t, 'mdswarm', ['peers', '--json', '--home', coordinator.home, '--swarm-key', wrongKey])
  t.not(outsiderClient.code, 0)
  t.regex(outsiderClient.stderr, /SwarmKeyMismatchError/)
  t.true(coordinator.proc.alive)
})
