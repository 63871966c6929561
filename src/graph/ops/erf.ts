import { unaryOp } from './common.js';

/** The error function; d/dx = 2/√π · e^(−x²). */
export const erf = unaryOp('Erf', erfReference, (g, n) => {
  const x = n.inputs[0];
  return [g.mul(x.mul(x).neg().exp()).mul(2 / Math.sqrt(Math.PI))];
});

/** erf by its Maclaurin series near 0 and the continued-fraction complement beyond (|error| < 1e-14). */
function erfReference(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc(x) = e^(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))), evaluated bottom-up.
  let frac = ax;
  for (let k = 60; k >= 1; k--) frac = ax + k / 2 / frac;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / frac;
  return Math.sign(x) * (1 - erfc);
}
