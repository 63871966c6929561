/**
 * Heatmaps of matrices (rows × columns) on the sequential colour scale: a grid of small panels that
 * share row and column labels and one colour domain (the paper's per-layer routing analysis), and
 * the colour legend.
 */
import { needsLightText, sequentialColor } from './color.js';
import { linearScale } from './scale.js';
import { el, svgRoot, text, tooltip } from './svg.js';

export interface HeatmapPanel {
  title: string;
  /** [row][column]. */
  values: number[][];
}

export interface HeatmapGrid {
  title: string;
  panels: HeatmapPanel[];
  rowLabels: string[];
  colLabels: string[];
  /** Values mapped to the ends of the colour scale, shared by all panels. */
  domain: [number, number];
  format: (value: number) => string;
  /** Row/column description for tooltips, e.g. "samples of" and "expert". */
  rowName?: string;
  colName?: string;
  /** Side of one cell in px; values are printed inside cells of 22 px and more. */
  cell?: number;
  /** Width the grid may take; panels wrap onto further rows. */
  maxWidth?: number;
}

/** Rough width of a label at the 11px chart font, enough to reserve margins. */
function labelWidth(labels: string[]): number {
  return Math.max(0, ...labels.map((l) => l.length)) * 6;
}

const PANEL_GAP = 14;

/** Height and width taken by the longest label written at `angle` degrees above the horizontal. */
function slant(labels: string[], angle: number): { rise: number; run: number } {
  const length = labelWidth(labels);
  const radians = (angle * Math.PI) / 180;
  return { rise: length * Math.sin(radians), run: length * Math.cos(radians) };
}

interface Layout {
  cell: number;
  /** Column labels slant up at this angle (degrees): steeper when cells are too narrow for 45°. */
  angle: number;
  left: number;
  /** Height above each row of panels: panel title and slanted column labels. */
  head: number;
  panelWidth: number;
  panelHeight: number;
  perRow: number;
}

function layout(grid: HeatmapGrid): Layout {
  const cell = grid.cell ?? 22;
  const angle = cell < 18 ? 60 : 45;
  const left = labelWidth(grid.rowLabels) + 8;
  // Column labels run up and to the right: room above the panels and past the last column.
  const { rise, run } = slant(grid.colLabels, angle);
  const panelWidth = grid.colLabels.length * cell;
  const available = (grid.maxWidth ?? 960) - left - run;
  const perRow = Math.max(
    1,
    Math.min(grid.panels.length, Math.floor((available + PANEL_GAP) / (panelWidth + PANEL_GAP))),
  );
  return {
    cell,
    angle,
    left,
    head: rise + 26,
    panelWidth,
    panelHeight: grid.rowLabels.length * cell,
    perRow,
  };
}

function panelCells(grid: HeatmapGrid, panel: HeatmapPanel, x0: number, y0: number, cell: number): string[] {
  const t = linearScale(grid.domain, [0, 1]);
  const parts: string[] = [];
  grid.rowLabels.forEach((rowLabel, r) => {
    grid.colLabels.forEach((colLabel, c) => {
      const value = panel.values[r][c];
      const where = `${panel.title}, ${grid.rowName ?? 'row'} ${rowLabel}, ${grid.colName ?? 'column'} ${colLabel}`;
      const rect = {
        x: x0 + c * cell,
        y: y0 + r * cell,
        width: cell - 1,
        height: cell - 1,
        fill: sequentialColor(t(value)),
      };
      parts.push(el('rect', rect, tooltip(`${where}: ${grid.format(value)}`)));
      if (cell >= 22) {
        const fill = needsLightText(t(value)) ? '#ffffff' : '#1f2328';
        const attrs = { class: 'cell-value', 'text-anchor': 'middle', fill, 'pointer-events': 'none' };
        parts.push(text(rect.x + (cell - 1) / 2, rect.y + cell / 2 + 3, grid.format(value), attrs));
      }
    });
  });
  return parts;
}

function rowOfPanels(grid: HeatmapGrid, box: Layout, panels: HeatmapPanel[], top: number): string[] {
  const { cell, left, head } = box;
  const parts: string[] = [];
  const y0 = top + head;
  grid.rowLabels.forEach((label, r) => {
    parts.push(text(left - 6, y0 + r * cell + cell / 2 + 4, label, { class: 'tick', 'text-anchor': 'end' }));
  });
  panels.forEach((panel, p) => {
    const x0 = left + p * (box.panelWidth + PANEL_GAP);
    parts.push(text(x0, top + 12, panel.title, { class: 'heading' }));
    grid.colLabels.forEach((label, c) => {
      const transform = `translate(${x0 + c * cell + cell / 2 + 3} ${y0 - 4}) rotate(-${box.angle})`;
      parts.push(text(0, 0, label, { class: 'tick', transform }));
    });
    parts.push(...panelCells(grid, panel, x0, y0, cell));
  });
  return parts;
}

export function heatmapGrid(grid: HeatmapGrid): string {
  const box = layout(grid);
  const rows = Math.ceil(grid.panels.length / box.perRow);
  const rowHeight = box.head + box.panelHeight + PANEL_GAP;
  const parts: string[] = [];
  for (let r = 0; r < rows; r++) {
    const panels = grid.panels.slice(r * box.perRow, (r + 1) * box.perRow);
    parts.push(...rowOfPanels(grid, box, panels, r * rowHeight));
  }
  const { run } = slant(grid.colLabels, box.angle);
  const width =
    box.left + box.perRow * (box.panelWidth + PANEL_GAP) - PANEL_GAP + Math.max(8, run - box.cell / 2 + 4);
  return svgRoot(width, rows * rowHeight, grid.title, ...parts);
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
