/** The mdswarm client library (see client.ts for an example). */
export { connect, MdswarmClient, JobHandle } from './client.ts'
export type { ConnectOptions, SubmitOptions, WaitOptions, ClientEvents, FrameChunk, EncodedChunk } from './client.ts'
export type { AllowedClientSummary, JobSummary, JobStatus, JobState, UnitSummary, UnitState, JobEvent, PeerSummary, FailureSummary } from './control-messages.ts'
export { CoordinatorNotFoundError, CoordinatorUnreachableError, CoordinatorError, UnexpectedResponseError } from './errors.ts'
export { PrivateNetworkError, SwarmKeyMismatchError } from '../p2p/errors.ts'
export { readCoordinatorInfo, COORDINATOR_FILE_NAME } from './coordinator-info.ts'
export type { CoordinatorInfo } from './coordinator-info.ts'
