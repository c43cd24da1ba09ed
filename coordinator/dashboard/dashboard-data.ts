/**
 * What the dashboard shows, as JSON (`GET /api/overview`, `GET /api/jobs/ID`):
 * built from the same summaries the control protocol serves, so the page,
 * `mdswarm jobs --json` and `mdswarm peers --json` never disagree.
 */
import type { JobState, JobStatus, JobSummary, PeerSummary } from '../../src/client/control-messages.ts'
import type { ControlService } from '../protocols/control-handler.ts'
import type { RefusalKind } from '../security/refusal-log.ts'

/** Jobs listed in the overview: the unfinished ones first, then the latest finished, at most this many. */
export const DASHBOARD_MAX_JOBS = 500

export interface DashboardOverview {
  readonly coordinator: {
    readonly peerId: string
    readonly network: string
    readonly multiaddrs: readonly string[]
    /** ms since the epoch. */
    readonly startedAt: number
    readonly now: number
  }
  /** Jobs per state, over every job the coordinator holds. */
  readonly counts: Readonly<Record<JobState, number>>
  /** Frames stored and expected, over every job. */
  readonly frames: { readonly stored: number, readonly total: number }
  /** ns/day summed over every node's running units, as they reported. */
  readonly nsPerDay: number
  /** Running and queued jobs first (newest first), then finished ones (latest first), at most DASHBOARD_MAX_JOBS. */
  readonly jobs: readonly JobSummary[]
  /** Jobs left out of `jobs` by the cap. */
  readonly jobsNotShown: number
  readonly peers: readonly PeerSummary[]
  /** Requests refused for security reasons since the coordinator started, by kind. */
  readonly refusals: Readonly<Record<RefusalKind, number>>
}

export interface DashboardSource {
  readonly control: ControlService
  readonly info: () => { peerId: string, network: string, multiaddrs: readonly string[], startedAt: number }
  readonly refusals: () => Readonly<Record<RefusalKind, number>>
}

const UNFINISHED: ReadonlySet<JobState> = new Set(['queued', 'running'])

export async function dashboardOverview (source: DashboardSource, now = Date.now()): Promise<DashboardOverview> {
  const [all, peers] = await Promise.all([source.control.jobSummaries(), source.control.peerSummaries()])
  const counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0 }
  let stored = 0
  let total = 0
  for (const job of all) {
    counts[job.state] += 1
    stored += job.framesStored
    total += job.totalFrames
  }
  const rank = (job: JobSummary): number => job.state === 'running' ? 0 : job.state === 'queued' ? 1 : 2
  const ordered = [...all].sort((a, b) => rank(a) - rank(b) || (UNFINISHED.has(a.state) ? b.createdAt - a.createdAt : (b.finishedAt ?? b.updatedAt) - (a.finishedAt ?? a.updatedAt)))
  const jobs = ordered.slice(0, DASHBOARD_MAX_JOBS)
  return {
    coordinator: { ...source.info(), now },
    counts,
    frames: { stored, total },
    nsPerDay: peers.reduce((sum, p) => sum + (p.role === 'node' ? p.nsPerDay : 0), 0),
    jobs,
    jobsNotShown: all.length - jobs.length,
    peers,
    refusals: { ...source.refusals() },
  }
}

export async function dashboardJob (source: DashboardSource, jobId: string): Promise<JobStatus> {
  return await source.control.jobStatus(jobId)
}
