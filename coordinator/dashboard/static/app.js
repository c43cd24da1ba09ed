// mdswarm dashboard: draws /api/overview and /api/jobs/<id>; redraws when
// /api/events says a job changed, and every few seconds for progress that
// arrives without an event (steps reported by running nodes). Plain DOM,
// no framework; every value from the coordinator goes in through
// textContent, never as HTML.

const POLL_MS = 5000
const $ = (id) => document.getElementById(id)

/** Creates an element with text (or child nodes) and optional attributes. */
function el (tag, content, attributes = {}) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  if (Array.isArray(content)) node.append(...content)
  else if (content !== undefined && content !== null) node.textContent = String(content)
  return node
}

const shortId = (id) => id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id
const badge = (state) => el('span', state, { class: 'badge', 'data-state': state })
const number = (n, digits = 0) => Number(n).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits })

function ago (ms, now) {
  if (ms === null || ms === undefined) return 'never'
  const s = Math.max(0, Math.round((now - ms) / 1000))
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.floor(s / 60)} min ago`
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`
  return `${Math.floor(s / 86400)} d ago`
}

function bar (fraction) {
  const inner = el('div')
  inner.style.width = `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`
  return el('div', [inner], { class: 'bar' })
}

function cell (content, attributes) { return el('td', content, attributes) }

function jobRow (job, now) {
  const fraction = job.steps > 0 ? job.stepsDone / job.steps : 0
  const progress = cell([el('span', `${number(fraction * 100, 1)} %`), bar(fraction)])
  let note = ''
  let noteClass = 'note'
  if (job.state === 'failed' && job.failure) { note = `${job.failure.errorName}: ${job.failure.reason}`; noteClass = 'note failed' }
  else if (job.state === 'cancelled') note = job.cancelReason ?? ''
  else if (job.waitingReason) note = job.waitingReason
  const row = el('tr', [
    cell(job.id, { class: 'id' }),
    cell(job.name),
    cell([badge(job.state)]),
    progress,
    cell(`${number(job.framesStored)} / ${number(job.totalFrames)}`, { class: 'num' }),
    cell(`${Math.min(job.currentSegment + 1, job.segments)} / ${job.segments}`, { class: 'num' }),
    cell(job.runningOn.map(shortId).join(', ')),
    cell(ago(job.updatedAt, now)),
    cell(note, { class: noteClass })
  ], { class: 'job', 'data-job-id': job.id, 'data-state': job.state })
  row.addEventListener('click', () => { openJob(job.id) })
  return row
}

function peerRow (peer, now) {
  const engines = Object.entries(peer.engines).map(([name, e]) => `${name} ${e.version}${e.platforms.length ? ` (${e.platforms.join(', ')})` : ''}`).join('; ')
  return el('tr', [
    cell(shortId(peer.peerId), { class: 'id', title: peer.peerId }),
    cell(peer.role),
    cell([badge(peer.connected ? 'live' : 'offline')]),
    cell(engines),
    cell(peer.role === 'node' ? peer.concurrency : '', { class: 'num' }),
    cell(peer.role === 'node' ? peer.cpuCores : '', { class: 'num' }),
    cell(peer.gpus.join(', ')),
    cell(peer.running.length, { class: 'num', title: peer.running.join('\n') }),
    cell(peer.role === 'node' ? number(peer.nsPerDay, 1) : '', { class: 'num' }),
    cell(peer.role === 'node' ? ago(peer.lastHeartbeat, now) : ''),
    cell(peer.addresses.join('\n'), { class: 'id' })
  ], { 'data-peer-id': peer.peerId })
}

function drawOverview (o) {
  const now = o.coordinator.now
  $('identity').textContent = `${o.coordinator.peerId} · network '${o.coordinator.network}' · up ${ago(o.coordinator.startedAt, now).replace(' ago', '')}`
  for (const state of ['running', 'queued', 'done', 'failed', 'cancelled']) $(`count-${state}`).textContent = number(o.counts[state])
  const nodes = o.peers.filter((p) => p.role === 'node')
  $('nodes-online').textContent = `${nodes.filter((p) => p.connected).length} / ${nodes.length}`
  $('ns-per-day').textContent = number(o.nsPerDay, 1)
  $('frames').textContent = `${number(o.frames.stored)} / ${number(o.frames.total)}`
  $('frames-bar').style.width = `${o.frames.total > 0 ? Math.round(100 * o.frames.stored / o.frames.total) : 0}%`
  $('jobs').tBodies[0].replaceChildren(...o.jobs.map((job) => jobRow(job, now)))
  $('jobs-empty').hidden = o.jobs.length > 0
  $('jobs-note').textContent = o.jobsNotShown > 0 ? `(${number(o.jobsNotShown)} older finished jobs not shown)` : ''
  $('peers').tBodies[0].replaceChildren(...o.peers.map((peer) => peerRow(peer, now)))
  $('refusals').replaceChildren(...Object.entries(o.refusals).map(([kind, n]) => el('span', `${kind}: ${number(n)}`, { class: 'chip', 'data-kind': kind })))
  $('updated').textContent = new Date(now).toLocaleTimeString()
}

let openJobId = null

function drawJob (status) {
  const { job } = status
  $('detail-id').textContent = job.id
  $('detail-summary').textContent = `${job.name} · ${job.state} · ${number(job.steps)} steps in ${job.segments} segment(s) of ${number(job.segmentSteps)} · ` +
    `frames every ${number(job.reportEvery)} steps · ${number(job.atoms)} atoms · seed ${job.seed} · priority ${job.priority}`
  $('detail-units').tBodies[0].replaceChildren(...status.units.map((u) => el('tr', [
    cell(u.segmentIndex, { class: 'num' }),
    cell([badge(u.state)]),
    cell(`${number(u.startStep)}–${number(u.endStep)}`),
    cell(u.state === 'done' ? '–' : number(u.resumeStep), { class: 'num' }),
    cell(`${number(u.nextFrame - u.firstFrame)} / ${number(u.endFrame - u.firstFrame)}`, { class: 'num' }),
    cell(u.attempts, { class: 'num' }),
    cell(u.failures, { class: 'num' }),
    cell(u.lease ? `${shortId(u.lease.peerId)} #${u.lease.attempt} at step ${number(u.lease.step)}` : ''),
    cell(u.lastError ? `${u.lastError.errorName}: ${u.lastError.reason}` : '', { class: 'note failed' })
  ], { 'data-unit-id': u.unitId })))
  $('detail-events').replaceChildren(...status.events.slice().reverse().map((e) => el('li', `${new Date(e.at).toLocaleTimeString()} ${e.message}`, { class: e.kind })))
  $('job-detail').hidden = false
}

async function getJson (path) {
  const response = await fetch(path, { cache: 'no-store' })
  const body = await response.json()
  if (!response.ok) throw new Error(`${body.error ?? response.status}: ${body.message ?? ''}`)
  return body
}

function setConnection (state, text) {
  const node = $('connection')
  node.dataset.state = state
  node.textContent = text
}

let refreshing = null
let again = false

/** Reloads the overview (and the open job); calls that arrive meanwhile fold into one more reload. */
async function refresh () {
  if (refreshing !== null) { again = true; return refreshing }
  refreshing = (async () => {
    do {
      again = false
      try {
        drawOverview(await getJson('/api/overview'))
        if (openJobId !== null) drawJob(await getJson(`/api/jobs/${encodeURIComponent(openJobId)}`))
        setConnection('live', 'live')
      } catch (err) {
        setConnection('offline', `coordinator unreachable (${err.message})`)
      }
    } while (again)
  })()
  try { await refreshing } finally { refreshing = null }
}

async function openJob (jobId) {
  openJobId = jobId
  await refresh()
}

$('detail-close').addEventListener('click', () => { openJobId = null; $('job-detail').hidden = true })

const events = new EventSource('/api/events')
events.addEventListener('change', () => { void refresh() })
events.addEventListener('error', () => { setConnection('offline', 'reconnecting…') })
events.addEventListener('open', () => { void refresh() })
setInterval(() => { void refresh() }, POLL_MS)
void refresh()
