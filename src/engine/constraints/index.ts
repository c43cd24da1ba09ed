/**
 * Distance constraints for the builtin engine: CCMA for general constraints
 * (bonds to hydrogen, all bonds) and SETTLE for rigid three-site waters,
 * split and applied as OpenMM 7.7's Reference platform does.
 *
 * @example
 * const constraints = new ConstraintSet(system)
 * const converged = constraints.apply(oldPositionsNm, newPositionsNm, inverseMasses, 1e-5)
 * constraints.applyToVelocities(positionsNm, velocities, inverseMasses, 1e-5)
 */
export { ConstraintSet } from './constraint-set.ts'
export { CcmaSolver, CCMA_MAX_ITERATIONS } from './ccma.ts'
export { SettleSolver, type SettleClusters } from './settle.ts'
