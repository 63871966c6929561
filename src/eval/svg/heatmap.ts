/** A heatmap of a matrix (rows × columns) on the sequential colour scale, and its colour legend. */
import { needsLightText, sequentialColor } from './color.js';
import { linearScale } from './scale.js';
import { el, svgRoot, text, tooltip } from './svg.js';

export interface Heatmap {
  title: string;
  rowLabels: string[];
  colLabels: string[];
  /** [row][column]. */
  values: number[][];
  /** Values mapped to the ends of the colour scale (shared by heatmaps that are compared). */
  domain: [number, number];
  format: (value: number) => string;
  /** Side of one cell in px. */
  cell?: number;
  /** Print each value inside its cell. */
  showValues?: boolean;
  /** Row/column description for tooltips, e.g. "task" and "expert". */
  rowName?: string;
  colName?: string;
}

/** Rough width of a label at the 11px chart font, enough to reserve margins. */
function labelWidth(labels: string[]): number {
  return Math.max(0, ...labels.map((l) => l.length)) * 6.2;
}

export function heatmap(map: Heatmap): string {
  const cell = map.cell ?? 24;
  const left = labelWidth(map.rowLabels) + 8;
  const top = labelWidth(map.colLabels) * 0.72 + 24;
  const width = left + map.colLabels.length * cell + 8;
  const height = top + map.rowLabels.length * cell + 4;
  const t = linearScale(map.domain, [0, 1]);
  const parts: string[] = [text(left, 12, map.title, { class: 'heading' })];
  map.colLabels.forEach((label, c) => {
    const cx = left + c * cell + cell / 2;
    parts.push(
      text(0, 0, label, { class: 'tick', transform: `translate(${cx + 3} ${top - 4}) rotate(-45)` }),
    );
  });
  map.rowLabels.forEach((rowLabel, r) => {
    const cy = top + r * cell;
    parts.push(text(left - 6, cy + cell / 2 + 4, rowLabel, { class: 'tick', 'text-anchor': 'end' }));
    map.colLabels.forEach((colLabel, c) => {
      const value = map.values[r][c];
      const position = t(value);
      const where = `${map.rowName ?? 'row'} ${rowLabel}, ${map.colName ?? 'column'} ${colLabel}`;
      const rect = {
        x: left + c * cell,
        y: cy,
        width: cell - 1,
        height: cell - 1,
        fill: sequentialColor(position),
      };
      parts.push(el('rect', rect, tooltip(`${where}: ${map.format(value)}`)));
      if (map.showValues) {
        const color = needsLightText(position) ? '#ffffff' : '#1f2328';
        const x = left + c * cell + (cell - 1) / 2;
        const label = { class: 'cell-value', 'text-anchor': 'middle', fill: color, 'pointer-events': 'none' };
        parts.push(text(x, cy + cell / 2 + 3, map.format(value), label));
      }
    });
  });
  return svgRoot(width, height, map.title, ...parts);
}

export interface ColorLegend {
  title: string;
  domain: [number, number];
  format: (value: number) => string;
  width?: number;
}

/** The colour scale as a strip of small rectangles (no gradient ids or url() references needed). */
export function colorLegend(legend: ColorLegend): string {
  const width = legend.width ?? 260;
  const steps = 48;
  const left = 10;
  const stripWidth = width - 2 * left;
  const parts: string[] = [text(left, 12, legend.title, { class: 'tick' })];
  for (let i = 0; i < steps; i++) {
    const x = left + (i * stripWidth) / steps;
    const rect = {
      x,
      y: 18,
      width: stripWidth / steps + 0.5,
      height: 12,
      fill: sequentialColor(i / (steps - 1)),
    };
    parts.push(el('rect', rect));
  }
  const [lo, hi] = legend.domain;
  const ticks: [number, string][] = [
    [left, legend.format(lo)],
    [left + stripWidth / 2, legend.format((lo + hi) / 2)],
    [left + stripWidth, legend.format(hi)],
  ];
  ticks.forEach(([x, label], i) => {
    const anchor = i === 0 ? 'start' : i === 1 ? 'middle' : 'end';
    parts.push(text(x, 44, label, { class: 'tick', 'text-anchor': anchor }));
  });
  return svgRoot(width, 50, legend.title, ...parts);
}
