/**
 * The coordinator's web dashboard: a read-only page (jobs, progress, peers,
 * throughput, security refusals) and the JSON it is drawn from, over plain
 * HTTP on a loopback address by default. It changes nothing: cancel, allow
 * and revoke stay on the control protocol, where the client's key says who
 * asks. Watching from another machine: forward the port over SSH
 * (`ssh -L 4180:127.0.0.1:4180 coordinator-host`).
 *
 * Routes: `GET /` (the page), `/app.js`, `/style.css`, `/api/overview`,
 * `/api/jobs/<id>`, `/api/events` (server-sent events: `change` when a job
 * changed, at most every CHANGE_SPACING_MS; the page then reloads the
 * overview). Anything else is 404; methods other than GET/HEAD are 405.
 * On a loopback address, requests naming another host are refused (421), so
 * a web page elsewhere cannot read it through DNS rebinding.
 *
 * @example
 * const server = await DashboardServer.start({ host: '127.0.0.1', port: 0, source, changes: queue })
 * console.log(server.url)   // http://127.0.0.1:41234/
 * await server.stop()
 */
import http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { EventEmitter } from 'node:events'
import { logger } from '@libp2p/logger'
import { dashboardJob, dashboardOverview, type DashboardSource } from './dashboard-data.ts'
import { DashboardAddressError } from './errors.ts'

const log = logger('mdswarm:coordinator:dashboard')

/** Change notifications to one page go out at most this often, ms. */
export const CHANGE_SPACING_MS = 500
/** A comment line keeps idle event streams open through proxies, ms. */
const KEEPALIVE_MS = 15_000
/** Pages listening for changes at once; more get 503. */
export const MAX_EVENT_STREAMS = 64
const JOB_ID = /^[A-Za-z0-9._-]{1,128}$/

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static')
const STATIC_FILES: Readonly<Record<string, { file: string, type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
}

export interface DashboardServerOptions {
  readonly host: string
  /** 0: any free port. */
  readonly port: number
  readonly source: DashboardSource
  /** Emits 'job-changed' (the work queue). */
  readonly changes: EventEmitter
}

function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}

/** The host name of a Host header ("127.0.0.1:4180", "[::1]:4180", "localhost"). */
function hostName (header: string | undefined): string {
  if (header === undefined) return ''
  if (header.startsWith('[')) return header.slice(1, header.indexOf(']'))
  const colon = header.lastIndexOf(':')
  return (colon >= 0 ? header.slice(0, colon) : header).toLowerCase()
}

export class DashboardServer {
  readonly url: string
  private readonly server: http.Server
  private readonly files: ReadonlyMap<string, { body: Buffer, type: string }>
  private readonly streams = new Set<http.ServerResponse>()
  private readonly stopChanges: () => void

  private constructor (server: http.Server, url: string, files: ReadonlyMap<string, { body: Buffer, type: string }>, stopChanges: () => void) {
    this.server = server
    this.url = url
    this.files = files
    this.stopChanges = stopChanges
  }

  static async start (options: DashboardServerOptions): Promise<DashboardServer> {
    const files = new Map<string, { body: Buffer, type: string }>()
    for (const [route, { file, type }] of Object.entries(STATIC_FILES)) files.set(route, { body: fs.readFileSync(path.join(STATIC_DIR, file)), type })
    let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => { res.writeHead(503).end() }
    const server = http.createServer((req, res) => { handler(req, res) })
    server.headersTimeout = 10_000
    server.requestTimeout = 30_000
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => { reject(new DashboardAddressError(options.host, options.port, err)) }
      server.once('error', onError)
      server.listen(options.port, options.host, () => { server.off('error', onError); resolve() })
    })
    server.on('error', (err) => log('dashboard server error: %s', err.message))
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : options.port
    const shownHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host
    const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}/`
    let dashboard: DashboardServer | null = null
    const onChange = (): void => { dashboard?.noteChange() }
    options.changes.on('job-changed', onChange)
    dashboard = new DashboardServer(server, url, files, () => { options.changes.off('job-changed', onChange) })
    const self = dashboard
    const checkHost = isLoopback(options.host)
    handler = (req, res) => { void self.handle(req, res, options.source, checkHost) }
    return dashboard
  }

  private async handle (req: http.IncomingMessage, res: http.ServerResponse, source: DashboardSource, checkHost: boolean): Promise<void> {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value)
    try {
      if (checkHost && !isLoopback(hostName(req.headers.host))) {
        this.sendJson(res, 421, { error: 'MisdirectedRequest', message: 'This dashboard answers only to a loopback host name (127.0.0.1, localhost, ::1).' })
        return
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD')
        this.sendJson(res, 405, { error: 'MethodNotAllowed', message: 'The dashboard is read-only.' })
        return
      }
      const url = new URL(req.url ?? '/', 'http://dashboard.invalid')
      const file = this.files.get(url.pathname)
      if (file !== undefined) {
        res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length, 'Cache-Control': 'no-cache' })
        res.end(req.method === 'HEAD' ? undefined : file.body)
        return
      }
      if (url.pathname === '/api/overview') {
        this.sendJson(res, 200, await dashboardOverview(source))
        return
      }
      if (url.pathname.startsWith('/api/jobs/')) {
        const jobId = decodeURIComponent(url.pathname.slice('/api/jobs/'.length))
        if (!JOB_ID.test(jobId)) { this.sendJson(res, 400, { error: 'InvalidJobId', message: 'A job ID is 1–128 letters, digits, dots, dashes or underscores.' }); return }
        this.sendJson(res, 200, await dashboardJob(source, jobId))
        return
      }
      if (url.pathname === '/api/events') {
        this.openEvents(res)
        return
      }
      this.sendJson(res, 404, { error: 'NotFound', message: `No page ${url.pathname} here.` })
    } catch (err) {
      const e = err as Error
      const status = /NotFound/.test(e.name) ? 404 : 500
      if (status === 500) log('dashboard request %s failed: %s', req.url, e.message)
      if (!res.headersSent) this.sendJson(res, status, { error: e.name, message: e.message })
      else res.destroy()
    }
  }

  private sendJson (res: http.ServerResponse, status: number, body: unknown): void {
    const bytes = Buffer.from(JSON.stringify(body))
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': bytes.length, 'Cache-Control': 'no-store' })
    res.end(bytes)
  }

  private openEvents (res: http.ServerResponse): void {
    if (this.streams.size >= MAX_EVENT_STREAMS) {
      this.sendJson(res, 503, { error: 'TooManyListeners', message: `At most ${MAX_EVENT_STREAMS} pages may listen for changes at once.` })
      return
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' })
    res.write(`retry: 2000\n\n`)
    this.streams.add(res)
    const keepalive = setInterval(() => { res.write(': keepalive\n\n') }, KEEPALIVE_MS)
    res.on('close', () => { clearInterval(keepalive); this.streams.delete(res) })
  }

  private changeTimer: NodeJS.Timeout | null = null
  private lastChangeSentAt = 0

  /** A job changed: tell every listening page, at most every CHANGE_SPACING_MS. */
  private noteChange (): void {
    if (this.changeTimer !== null || this.streams.size === 0) return
    const wait = Math.max(0, this.lastChangeSentAt + CHANGE_SPACING_MS - Date.now())
    this.changeTimer = setTimeout(() => {
      this.changeTimer = null
      this.lastChangeSentAt = Date.now()
      for (const res of this.streams) res.write('event: change\ndata: {}\n\n')
    }, wait)
  }

  async stop (): Promise<void> {
    this.stopChanges()
    if (this.changeTimer !== null) clearTimeout(this.changeTimer)
    for (const res of this.streams) res.end()
    this.streams.clear()
    await new Promise<void>((resolve) => {
      this.server.close(() => { resolve() })
      this.server.closeAllConnections()
    })
  }
}
