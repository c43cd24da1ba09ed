/**
 * Physical constants exactly as OpenMM 7.7 defines them
 * (platforms/reference/include/SimTKOpenMMRealType.h, CODATA 2018).
 */

const E_CHARGE_C = 1.602176634e-19
const AVOGADRO_PER_MOL = 6.02214076e23
/** Vacuum permittivity in e^2 mol / (kJ nm). */
const EPSILON0 = 1e-6 * 8.8541878128e-12 / (E_CHARGE_C * E_CHARGE_C * AVOGADRO_PER_MOL)

/** Coulomb constant 1/(4 pi eps0), kJ nm / (mol e^2) (about 138.935). */
export const ONE_4PI_EPS0 = 1 / (4 * Math.PI * EPSILON0)
