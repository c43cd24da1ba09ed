/**
 * Integrator descriptions as read from OpenMM Integrator XML. Data only; the
 * stepping code lives in `src/engine/integrators/`.
 * Units: stepSizePs ps, temperatureK K, frictionPerPs 1/ps.
 */
interface IntegratorBase {
  readonly type: string
  /** Time step, ps. Must be > 0. */
  readonly stepSizePs: number
  /** Relative constraint tolerance (OpenMM default 1e-5). */
  readonly constraintTolerance: number
}

export interface VerletIntegratorSpec extends IntegratorBase {
  readonly type: 'VerletIntegrator'
}

export interface LangevinIntegratorSpec extends IntegratorBase {
  readonly type: 'LangevinIntegrator' | 'LangevinMiddleIntegrator'
  /** Heat-bath temperature, K. */
  readonly temperatureK: number
  /** Friction coefficient, 1/ps. */
  readonly frictionPerPs: number
  /** Random seed from the XML (0 = choose one); a job's seed overrides it. */
  readonly randomSeed: number
}

export type IntegratorSpec = VerletIntegratorSpec | LangevinIntegratorSpec

export const SUPPORTED_INTEGRATOR_TYPES: ReadonlySet<string> = new Set([
  'VerletIntegrator',
  'LangevinIntegrator',
  'LangevinMiddleIntegrator',
])
