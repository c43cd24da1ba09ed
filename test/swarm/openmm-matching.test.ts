/**
 * Matching across real processes: a coordinator, a builtin-only node
 * (MDSWARM_OPENMM=off) and a node with Debian's OpenMM. A CHARMM system with
 * CMAPTorsionForce runs only on the openmm node; a unit that requires CUDA
 * stays queued and its status says why; `peers` shows each node's engines.
 */
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { connect } from '../../src/client/index.ts'
import { eventually, repoRoot, startCoordinator, startNode, tempDir, type NodeProcess } from './helpers/processes.ts'
import { ala2Inputs } from './helpers/inputs.ts'
import { pythonHasModule } from '../formats/debian-python.ts'

const HAVE_OPENMM = pythonHasModule('openmm')
const live = HAVE_OPENMM ? test : test.skip
if (!HAVE_OPENMM) console.log('skipping the openmm swarm matching test: /usr/bin/python3 cannot import openmm')

const cmapDir = path.join(repoRoot, 'test', 'fixtures', 'ala2-charmm-cmap')

/** Starts a node whose environment says MDSWARM_OPENMM=off (spawn copies process.env at once). */
async function startBuiltinOnlyNode (...args: Parameters<typeof startNode>): Promise<NodeProcess> {
  process.env.MDSWARM_OPENMM = 'off'
  try {
    return await startNode(...args)
  } finally {
    delete process.env.MDSWARM_OPENMM
  }
}

live('CMAP units go only to the openmm node; a CUDA unit waits and says why', async t => {
  const root = tempDir(t, 'openmm-matching')
  const coordinator = await startCoordinator(t, path.join(root, 'coordinator'))
  const builtinNode = await startBuiltinOnlyNode(t, path.join(root, 'builtin-node'), coordinator.address, { concurrency: 1, name: 'builtin-node' })
  const openmmNode = await startNode(t, path.join(root, 'openmm-node'), coordinator.address, { concurrency: 1, name: 'openmm-node' })

  // The coordinator's own home: its client key is the first allowed submitter.
  const client = await connect({ coordinator: coordinator.address, home: coordinator.home })
  t.teardown(async () => { await client.close() })
  const peers = await eventually('both nodes to report their capabilities', async () => {
    const nodes = (await client.peers()).filter(p => p.role === 'node' && Object.keys(p.engines).length > 0)
    return nodes.length >= 2 ? nodes : undefined
  }, 60_000)
  t.deepEqual(Object.keys(peers.find(p => p.peerId === builtinNode.peerId)?.engines ?? {}), ['builtin'])
  t.true(peers.find(p => p.peerId === openmmNode.peerId)?.engines.openmm?.platforms.includes('CPU'))

  const ala2 = ala2Inputs()
  const cmapJobs = await client.submit({
    systemXml: fs.readFileSync(path.join(cmapDir, 'system.xml'), 'utf8'),
    integratorXml: ala2.integratorXml,
    pdb: fs.readFileSync(path.join(cmapDir, 'structure.pdb'), 'utf8'),
    steps: 100,
    reportEvery: 50,
    replicas: 2,
    seed: 3,
    name: 'charmm-cmap',
  })
  const [cudaJob] = await client.submit({ ...ala2, steps: 100, reportEvery: 50, platform: 'CUDA', name: 'needs-cuda' })

  const finished = await client.waitAll(cmapJobs)
  t.deepEqual(finished.map(j => j.state), ['done', 'done'])
  t.deepEqual(finished.map(j => j.framesStored), [2, 2])
  t.true(finished[0].requirements.forceTypes.includes('CMAPTorsionForce'))
  const cmapIds = new Set(cmapJobs.map(j => j.id))
  const ranOn = (node: NodeProcess): number => node.proc.events().filter(e => e.event === 'unit-completed' && cmapIds.has(String(e.jobId))).length
  // the node prints unit-completed after the coordinator answered its `complete`, so it may trail waitAll a little
  await eventually('the openmm node to report both units completed', async () => ranOn(openmmNode) >= 2 ? true : undefined, 30_000)
  t.is(ranOn(openmmNode), 2)
  t.is(ranOn(builtinNode), 0)
  t.false(builtinNode.proc.events().some(e => e.event === 'unit-started' && cmapIds.has(String(e.jobId))))

  const waiting = await eventually('the CUDA job to say what it waits for', async () => {
    const status = await cudaJob.status()
    return status.job.waitingReason !== undefined ? status : undefined
  }, 30_000)
  t.is(waiting.job.state, 'queued')
  t.is(waiting.job.waitingReason, 'needs CUDA: 0 of 2 nodes have it')
})
