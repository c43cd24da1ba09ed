/**
 * The coordinator's web dashboard over HTTP, against a real coordinator
 * (in this process, real libp2p and LevelDB): the JSON it draws from agrees
 * with the control protocol, changes are pushed as server-sent events, and
 * it is read-only, loopback-only by Host header, and locked down by headers.
 */
import test from 'ava'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { CoordinatorDaemon } from '../../coordinator/daemon.ts'
import { parseDashboardAddress } from '../../coordinator/dashboard/address.ts'
import type { DashboardOverview } from '../../coordinator/dashboard/dashboard-data.ts'
import { connect } from '../../src/client/index.ts'
import { readCoordinatorInfo } from '../../src/client/coordinator-info.ts'
import type { JobStatus } from '../../src/client/control-messages.ts'
import { ala2Inputs } from '../swarm/helpers/inputs.ts'
import { tempDir } from './helpers.ts'

const root = tempDir('dashboard-http')
test.after.always(() => { fs.rmSync(root, { recursive: true, force: true }) })

async function request (url: string, init: { method?: string, headers?: Record<string, string> } = {}): Promise<{ status: number, headers: Headers, body: string }> {
  const response = await fetch(url, init)
  return { status: response.status, headers: response.headers, body: await response.text() }
}

/** A raw HTTP request, to send a Host header fetch() would not let through. */
async function rawGet (url: string, host: string): Promise<number> {
  const { hostname, port, pathname } = new URL(url)
  return await new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => { socket.write(`GET ${pathname}api/overview HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`) })
    let text = ''
    socket.setEncoding('utf8').on('data', (d: string) => { text += d }).on('end', () => { resolve(Number(text.split(' ')[1])) }).on('error', reject)
  })
}

test('overview, job detail and change events agree with the control protocol; the page is served with a strict policy', async t => {
  const home = path.join(root, 'c1')
  const daemon = await CoordinatorDaemon.start({ home, listen: ['/ip4/127.0.0.1/tcp/0'], dashboard: { host: '127.0.0.1', port: 0 } })
  t.teardown(async () => { await daemon.stop() })
  const url = daemon.dashboardUrl
  if (url === null) return t.fail('no dashboard')
  t.regex(url, /^http:\/\/127\.0\.0\.1:\d+\/$/)
  t.is(readCoordinatorInfo(home).dashboard, url, 'coordinator.json names the dashboard')

  const page = await request(url)
  t.is(page.status, 200)
  t.regex(page.headers.get('content-type') ?? '', /text\/html/)
  t.regex(page.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/)
  t.is(page.headers.get('x-content-type-options'), 'nosniff')
  t.is(page.headers.get('x-frame-options'), 'DENY')
  t.true(page.body.includes('/app.js'))
  t.is((await request(`${url}app.js`)).status, 200)
  t.is((await request(`${url}style.css`)).status, 200)

  // Listen for changes before submitting.
  const events = await fetch(`${url}api/events`)
  t.regex(events.headers.get('content-type') ?? '', /text\/event-stream/)
  const reader = events.body!.getReader()
  const sawChange = (async () => {
    let text = ''
    while (!text.includes('event: change')) {
      const { value, done } = await reader.read()
      if (done) return false
      text += new TextDecoder().decode(value)
    }
    return true
  })()

  const client = await connect({ home })
  t.teardown(async () => { await client.close() })
  const jobs = await client.submit({ ...ala2Inputs(), steps: 100, reportEvery: 10, replicas: 2, seed: 3, name: 'dash' })
  t.true(await sawChange, 'a submit is pushed to listening pages')
  await reader.cancel()

  const overview = JSON.parse((await request(`${url}api/overview`)).body) as DashboardOverview
  t.is(overview.coordinator.peerId, daemon.peerId)
  t.is(overview.counts.queued, 2)
  t.deepEqual(overview.frames, { stored: 0, total: 20 })
  t.deepEqual(overview.jobs.map(j => j.id).sort(), jobs.map(j => j.id).sort())
  t.deepEqual(overview.jobs.map(j => j.name).sort(), ['dash-0', 'dash-1'])
  const viaControl = await client.jobs()
  t.deepEqual(overview.jobs.map(j => j.state).sort(), viaControl.map(j => j.state).sort())
  t.true(overview.peers.some(p => p.role === 'coordinator' && p.peerId === daemon.peerId))
  t.is(overview.refusals['not-allowed'], 0)

  const detail = JSON.parse((await request(`${url}api/jobs/${jobs[0].id}`)).body) as JobStatus
  t.is(detail.job.id, jobs[0].id)
  t.is(detail.units.length, 1)
  t.true(detail.events.some(e => e.kind === 'submitted'))
})

test('read-only, loopback names only, typed errors for unknown jobs and paths', async t => {
  const daemon = await CoordinatorDaemon.start({ home: path.join(root, 'c2'), listen: ['/ip4/127.0.0.1/tcp/0'], dashboard: { host: '127.0.0.1', port: 0 } })
  t.teardown(async () => { await daemon.stop() })
  const url = daemon.dashboardUrl!
  const post = await request(`${url}api/overview`, { method: 'POST' })
  t.is(post.status, 405)
  t.is(post.headers.get('allow'), 'GET, HEAD')
  t.is((await request(`${url}api/jobs/j-none`, { method: 'DELETE' })).status, 405)
  const missing = await request(`${url}api/jobs/jnothere`)
  t.is(missing.status, 404)
  t.is((JSON.parse(missing.body) as { error: string }).error, 'JobNotFoundError')
  t.is((await request(`${url}api/jobs/${encodeURIComponent('../../etc/passwd')}`)).status, 400)
  t.is((await request(`${url}secret.txt`)).status, 404)
  t.is(await rawGet(url, 'evil.example.com'), 421, 'another host name (DNS rebinding) is refused')
  t.is(await rawGet(url, `localhost:${new URL(url).port}`), 200)
  t.is(await rawGet(url, `127.0.0.1:${new URL(url).port}`), 200)
})

test('an address in use is a typed error, or any free port when falling back; stopping frees the port', async t => {
  const blocker = net.createServer()
  await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { blocker.close() })
  const port = (blocker.address() as net.AddressInfo).port
  const err = await t.throwsAsync(CoordinatorDaemon.start({ home: path.join(root, 'c3'), listen: ['/ip4/127.0.0.1/tcp/0'], dashboard: { host: '127.0.0.1', port } }))
  t.is(err?.name, 'DashboardAddressError')
  t.regex(err?.message ?? '', /in use.*--dashboard HOST:PORT/s)
  const daemon = await CoordinatorDaemon.start({ home: path.join(root, 'c3'), listen: ['/ip4/127.0.0.1/tcp/0'], dashboard: { host: '127.0.0.1', port, fallbackToAnyPort: true } })
  const url = daemon.dashboardUrl!
  t.not(new URL(url).port, String(port))
  t.is((await request(`${url}api/overview`)).status, 200)
  await daemon.stop()
  await t.throwsAsync(fetch(`${url}api/overview`), undefined, 'closed after stop')
  const none = await CoordinatorDaemon.start({ home: path.join(root, 'c4'), listen: ['/ip4/127.0.0.1/tcp/0'] })
  t.teardown(async () => { await none.stop() })
  t.is(none.dashboardUrl, null)
  t.is(readCoordinatorInfo(path.join(root, 'c4')).dashboard, undefined)
})

test('--dashboard addresses', t => {
  t.deepEqual(parseDashboardAddress('127.0.0.1:4180'), { host: '127.0.0.1', port: 4180 })
  t.deepEqual(parseDashboardAddress('4181'), { host: '127.0.0.1', port: 4181 })
  t.deepEqual(parseDashboardAddress('[::1]:0'), { host: '::1', port: 0 })
  t.deepEqual(parseDashboardAddress('0.0.0.0:8080'), { host: '0.0.0.0', port: 8080 })
  t.deepEqual(parseDashboardAddress('localhost:80'), { host: 'localhost', port: 80 })
  for (const bad of ['', 'x', ':80', '1.2.3.4:', '1.2.3.4:70000', '::1:80', 'a b:80', '1.2.3.4:8o']) t.is(parseDashboardAddress(bad), null, bad)
})
