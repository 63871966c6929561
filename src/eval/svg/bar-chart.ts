/** A grouped bar chart: one group per category (task), one bar per series (method) in each group. */
import { linearScale, niceAxis, tickLabel } from './scale.js';
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

export function groupedBarChart(chart: GroupedBarChart): string {
  // By default as wide as full-width bars need, up to the page width.
  const natural = MARGIN.left + MARGIN.right + chart.groups.length * (chart.series.length * MAX_BAR + 40);
  const width = chart.width ?? Math.min(960, Math.max(320, natural));
  const height = chart.height ?? 300;
  const plotRight = width - MARGIN.right;
  const plotBottom = height - MARGIN.bottom;
  const axis = valueAxis(chart);
  const y = linearScale(axis.domain, [plotBottom, MARGIN.top]);
  const groupWidth = (plotRight - MARGIN.left) / Math.max(1, chart.groups.length);
  const gap = Math.min(18, groupWidth * 0.2);
  const barWidth = Math.min(MAX_BAR, (groupWidth - gap) / Math.max(1, chart.series.length));
  const barsWidth = barWidth * chart.series.length;
  const parts: string[] = [];
  for (const tick of axis.ticks) {
    parts.push(el('line', { x1: MARGIN.left, x2: plotRight, y1: y(tick), y2: y(tick), class: 'grid' }));
    parts.push(
      text(MARGIN.left - 6, y(tick) + 4, tickLabel(tick, axis.ticks), {
        class: 'tick',
        'text-anchor': 'end',
      }),
    );
  }
  chart.groups.forEach((group, g) => {
    const x0 = MARGIN.left + g * groupWidth + (groupWidth - barsWidth) / 2;
    chart.series.forEach((series, s) => {
      const value = series.values[g];
      if (value === null || value === undefined) return;
      const top = y(Math.max(value, axis.domain[0]));
      const base = y(Math.max(0, axis.domain[0]));
      const bar = { x: x0 + s * barWidth, width: Math.max(1, barWidth - 1), fill: series.color };
      const title = tooltip(`${series.label} · ${group}: ${chart.format(value)}`);
      parts.push(el('rect', { ...bar, y: Math.min(top, base), height: Math.abs(base - top) }, title));
    });
    parts.push(text(x0 + barsWidth / 2, plotBottom + 18, group, { class: 'label', 'text-anchor': 'middle' }));
  });
  parts.push(el('line', { x1: MARGIN.left, x2: plotRight, y1: plotBottom, y2: plotBottom, class: 'axis' }));
  const yTitle = text(0, 0, chart.yLabel, {
    class: 'label',
    'text-anchor': 'middle',
    transform: `translate(14 ${(MARGIN.top + plotBottom) / 2}) rotate(-90)`,
  });
  return svgRoot(width, height, chart.title, ...parts, yTitle);
}
