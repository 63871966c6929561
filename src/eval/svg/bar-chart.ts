/** A grouped bar chart: one group per category (task), one bar per series (method) in each group. */
import { baseline, valueGrid, yTitle } from './axes.js';
import { linearScale, niceAxis } from './scale.js';
import { el, svgRoot, text, tooltip } from './svg.js';

export interface BarSeries {
  label: string;
  color: string;
  /** One value per group; null leaves a gap. */
  values: (number | null)[];
}

export interface GroupedBarChart {
  /** Accessible name of the chart. */
  title: string;
  groups: string[];
  series: BarSeries[];
  yLabel: string;
  /** Fixed value axis, e.g. [0, 100] for accuracy in %; default: nice ticks from 0 to the maximum. */
  yDomain?: [number, number];
  /** Value text in tooltips. */
  format: (value: number) => string;
  width?: number;
  height?: number;
}

const MARGIN = { top: 12, right: 8, bottom: 34, left: 52 };
/** Widest bar in px, so that charts with few series do not turn into blocks. */
const MAX_BAR = 32;

function valueAxis(chart: GroupedBarChart) {
  if (chart.yDomain) return niceAxis(chart.yDomain[0], chart.yDomain[1], 5);
  const values = chart.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  return niceAxis(Math.min(0, ...values), Math.max(0, ...values), 5);
}

/** Horizontal placement of the bars: group width, bar width, and all bars of a group together. */
function barLayout(chart: GroupedBarChart, plotWidth: number) {
  const groupWidth = plotWidth / Math.max(1, chart.groups.length);
  const gap = Math.min(18, groupWidth * 0.2);
  const barWidth = Math.min(MAX_BAR, (groupWidth - gap) / Math.max(1, chart.series.length));
  return { groupWidth, barWidth, barsWidth: barWidth * chart.series.length };
}

export function groupedBarChart(chart: GroupedBarChart): string {
  // By default as wide as full-width bars need, up to the page width.
  const natural = MARGIN.left + MARGIN.right + chart.groups.length * (chart.series.length * MAX_BAR + 40);
  const width = chart.width ?? Math.min(960, Math.max(320, natural));
  const height = chart.height ?? 300;
  const plotRight = width - MARGIN.right;
  const plotBottom = height - MARGIN.bottom;
  const axis = valueAxis(chart);
  const y = linearScale(axis.domain, [plotBottom, MARGIN.top]);
  const base = y(Math.max(0, axis.domain[0]));
  const { groupWidth, barWidth, barsWidth } = barLayout(chart, plotRight - MARGIN.left);
  const parts = valueGrid(axis.ticks, y, MARGIN.left, plotRight);
  chart.groups.forEach((group, g) => {
    const x0 = MARGIN.left + g * groupWidth + (groupWidth - barsWidth) / 2;
    chart.series.forEach((series, s) => {
      const value = series.values[g];
      if (value === null || value === undefined) return;
      const top = y(Math.max(value, axis.domain[0]));
      const bar = { x: x0 + s * barWidth, width: Math.max(1, barWidth - 1), fill: series.color };
      const title = tooltip(`${series.label} · ${group}: ${chart.format(value)}`);
      parts.push(el('rect', { ...bar, y: Math.min(top, base), height: Math.abs(base - top) }, title));
    });
    parts.push(text(x0 + barsWidth / 2, plotBottom + 18, group, { class: 'label', 'text-anchor': 'middle' }));
  });
  parts.push(baseline(MARGIN.left, plotRight, plotBottom), yTitle(chart.yLabel, MARGIN.top, plotBottom));
  return svgRoot(width, height, chart.title, ...parts);
}
