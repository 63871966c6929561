/** Linear scales and "nice" axis ticks (steps of 1, 2 or 5 times a power of ten). */

export type Scale = (value: number) => number;

/** Maps [d0, d1] linearly onto [r0, r1]; a degenerate domain maps to the middle of the range. */
export function linearScale([d0, d1]: [number, number], [r0, r1]: [number, number]): Scale {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (value) => r0 + (value - d0) * k;
}

/** The smallest of 1, 2, 5 × 10^k that is at least `rough`. */
export function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  const mantissa = rough / power;
  const nice = mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10;
  return nice * power;
}

export interface Axis {
  /** The domain widened to whole steps, so the first and last ticks sit on the ends. */
  domain: [number, number];
  ticks: number[];
}

/** About `count` nice ticks covering [min, max]; a zero-width range is widened first. */
export function niceAxis(min: number, max: number, count = 5): Axis {
  if (!(max > min)) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return niceAxis(min - pad, max + pad, count);
  }
  const step = niceStep((max - min) / count);
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return { domain: [ticks[0], ticks[ticks.length - 1]], ticks };
}

/** Tick label text with as many decimals as the step needs. */
export function tickLabel(value: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return value.toFixed(decimals);
}
