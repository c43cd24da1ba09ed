/**
 * The submitter allow-list, through the real CLI against a real coordinator
 * process: a client from another home is refused (non-zero exit, a typed
 * error naming its peer ID and the command that allows it); after
 * `mdswarm coordinator allow` it can submit; after `revoke` it is refused
 * again; a non-admin cannot change the list; and the list can be edited
 * while the coordinator is stopped.
 */
import test from 'ava'
import path from 'node:path'
import { runCliCommand, spawnCli, startCoordinator, tempDir } from '../swarm/helpers/processes.ts'
import { ala2Files } from '../swarm/helpers/inputs.ts'

interface AllowedJson { clients: Array<{ peerId: string, admin: boolean, addedBy: string }>, changed: boolean }

test('an unlisted client is refused until allowed, and again after revoke', async t => {
  const root = tempDir(t, 'allow-list')
  const home = path.join(root, 'coordinator')
  const otherHome = path.join(root, 'elsewhere')
  let coordinator = await startCoordinator(t, home)
  const mdswarm = async (...args: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> => await runCliCommand(t, 'mdswarm', args)
  const submitFromElsewhere = async (address: string): Promise<{ code: number | null, stdout: string, stderr: string }> => await mdswarm('submit',
    '--system', ala2Files.system, '--integrator', ala2Files.integrator, '--pdb', ala2Files.pdb, '--steps', '100', '--report-every', '20',
    '--home', otherHome, '--coordinator', address, '--json')

  const whoami = await mdswarm('whoami', '--home', otherHome, '--json')
  t.is(whoami.code, 0, whoami.stderr)
  const { peerId } = JSON.parse(whoami.stdout) as { peerId: string }

  // The coordinator's own home is its first admin.
  const initial = await mdswarm('coordinator', 'allowed', '--home', home, '--json')
  t.is(initial.code, 0, initial.stderr)
  const initialList = JSON.parse(initial.stdout) as AllowedJson
  t.is(initialList.clients.length, 1)
  t.true(initialList.clients[0].admin)

  const refused = await submitFromElsewhere(coordinator.address)
  t.not(refused.code, 0)
  t.regex(refused.stderr, /ClientNotAllowedError/)
  t.true(refused.stderr.includes(peerId), refused.stderr)
  t.true(refused.stderr.includes(`mdswarm coordinator allow ${peerId}`), 'the message says how to get allowed')

  const allowed = await mdswarm('coordinator', 'allow', peerId, '--home', home, '--json')
  t.is(allowed.code, 0, allowed.stderr)
  const afterAllow = JSON.parse(allowed.stdout) as AllowedJson
  t.true(afterAllow.changed)
  t.deepEqual(afterAllow.clients.map(c => [c.peerId === peerId, c.admin]).sort(), [[false, true], [true, false]], 'the owner is an admin, the new client is not')
  const submitted = await submitFromElsewhere(coordinator.address)
  t.is(submitted.code, 0, submitted.stderr)
  t.is((JSON.parse(submitted.stdout) as { jobs: unknown[] }).jobs.length, 1)

  // Allowed to submit is not allowed to change the list.
  const notAdmin = await mdswarm('coordinator', 'allow', coordinator.peerId, '--home', otherHome, '--coordinator', coordinator.address)
  t.not(notAdmin.code, 0)
  t.regex(notAdmin.stderr, /AdminRequiredError/)

  // A wait that is watching when the client is revoked is cut off, not left streaming updates.
  const jobId = (JSON.parse(submitted.stdout) as { jobs: Array<{ id: string }> }).jobs[0].id
  const watching = spawnCli(t, 'mdswarm', ['wait', jobId, '--home', otherHome, '--coordinator', coordinator.address, '--json'], 'wait (revoked later)')
  // (Time to start and open its watch stream; were it slower, it would be refused at its first request instead.)
  await new Promise(resolve => setTimeout(resolve, 4000))
  t.true(watching.alive, 'no node runs the job: the wait is still waiting')

  const revoked = await mdswarm('coordinator', 'revoke', peerId, '--home', home, '--json')
  t.is(revoked.code, 0, revoked.stderr)
  t.like(JSON.parse(revoked.stdout) as AllowedJson, { changed: true })
  const waitEnd = await watching.exited
  t.not(waitEnd.code, 0)
  t.regex(watching.stderrLines.join('\n'), /ClientNotAllowedError/)
  const refusedAgain = await submitFromElsewhere(coordinator.address)
  t.not(refusedAgain.code, 0)
  t.regex(refusedAgain.stderr, /ClientNotAllowedError/)
  t.true(coordinator.proc.stdoutLines.some(line => line.startsWith('refused not-allowed') && line.includes(peerId)))

  // While the coordinator is stopped, the list is edited in its database; the restarted daemon honours it.
  coordinator.proc.kill('SIGTERM')
  await coordinator.proc.exited
  const offline = await mdswarm('coordinator', 'allow', peerId, '--home', home)
  t.is(offline.code, 0, offline.stderr)
  t.regex(offline.stdout, /not running/)
  coordinator = await startCoordinator(t, home, { name: 'coordinator#2' })
  const jobs = await mdswarm('jobs', '--home', otherHome, '--coordinator', coordinator.address, '--json')
  t.is(jobs.code, 0, jobs.stderr)
  t.is((JSON.parse(jobs.stdout) as { jobs: unknown[] }).jobs.length, 1)
})
