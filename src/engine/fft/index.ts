/**
 * FFTs for PME: a mixed-radix batched complex FFT of any length and a real
 * 3D FFT to the half spectrum. Hand-written (no dependency); see the
 * benchmark in scripts/bench/fft.ts.
 */
export { ComplexFft, factorize } from './complex-fft.ts'
export { RealFft3d } from './real-fft-3d.ts'
