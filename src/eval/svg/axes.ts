/** Axis pieces shared by the bar and line charts: horizontal grid lines with labels, axis titles. */
import type { Scale } from './scale.js';
import { tickLabel } from './scale.js';
import { el, text } from './svg.js';

/** A light grid line and a right-aligned label at each tick of the value (y) axis. */
export function valueGrid(ticks: number[], y: Scale, left: number, right: number): string[] {
  return ticks.flatMap((tick) => [
    el('line', { x1: left, x2: right, y1: y(tick), y2: y(tick), class: 'grid' }),
    text(left - 6, y(tick) + 4, tickLabel(tick, ticks), { class: 'tick', 'text-anchor': 'end' }),
  ]);
}

/** Labels under the plot at each tick of a numeric x axis. */
export function stepTicks(ticks: number[], x: Scale, bottom: number): string[] {
  return ticks.map((tick) =>
    text(x(tick), bottom + 16, tickLabel(tick, ticks), { class: 'tick', 'text-anchor': 'middle' }),
  );
}

export function baseline(left: number, right: number, y: number): string {
  return el('line', { x1: left, x2: right, y1: y, y2: y, class: 'axis' });
}

/** The value axis title, written upwards along the left edge. */
export function yTitle(label: string, top: number, bottom: number): string {
  const transform = `translate(14 ${(top + bottom) / 2}) rotate(-90)`;
  return text(0, 0, label, { class: 'label', 'text-anchor': 'middle', transform });
}
