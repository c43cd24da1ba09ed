/** Failures of the node's uploads to its coordinator. */

/**
 * The coordinator refused an upload of one unit attempt (a checkpoint put, a
 * chunk, or the unit's end). `holderLost`: the refusal says this node no
 * longer holds the attempt (cancelled, lease lost or reassigned), so nothing
 * of it will ever be taken; otherwise the coordinator still wants the unit
 * but not this message as it was (e.g. a checkpoint it does not have yet).
 */
export class UploadRefusedError extends Error {
  readonly unitId: string
  readonly code: string
  readonly reason: string
  readonly holderLost: boolean
  constructor (unitId: string, what: string, code: string, reason: string, holderLost: boolean) {
    super(`The coordinator refused the ${what} of unit ${unitId} (${code}): ${reason}`)
    this.name = 'UploadRefusedError'
    this.unitId = unitId
    this.code = code
    this.reason = reason
    this.holderLost = holderLost
  }
}
