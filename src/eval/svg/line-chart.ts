/** A line chart with several series over a shared x axis (adaptation steps), e.g. TTA loss curves. */
import { baseline, stepTicks, valueGrid, yTitle } from './axes.js';
import { linearScale, niceAxis, type Scale } from './scale.js';
import { el, num, svgRoot, text, tooltip } from './svg.js';

export interface LineSeries {
  label: string;
  color: string;
  points: { x: number; y: number }[];
  dashed?: boolean;
}

export interface LineChart {
  title: string;
  series: LineSeries[];
  xLabel: string;
  yLabel: string;
  format: (value: number) => string;
  width?: number;
  height?: number;
}

const MARGIN = { top: 12, right: 12, bottom: 40, left: 56 };
/** Points per series that get a hover marker; longer series are sampled evenly. */
const MAX_MARKERS = 40;

function axes(series: LineSeries[]) {
  const points = series.flatMap((s) => s.points);
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  return {
    x: niceAxis(Math.min(...xs), Math.max(...xs), 6),
    y: niceAxis(Math.min(...ys), Math.max(...ys), 5),
  };
}

function markerIndices(length: number): number[] {
  if (length <= MAX_MARKERS) return Array.from({ length }, (_, i) => i);
  return Array.from({ length: MAX_MARKERS }, (_, i) => Math.round((i * (length - 1)) / (MAX_MARKERS - 1)));
}

function seriesParts(s: LineSeries, x: Scale, y: Scale, format: (value: number) => string): string[] {
  const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${num(x(p.x))} ${num(y(p.y))}`).join('');
  const dash = s.dashed ? '5 4' : undefined;
  const style = { fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': dash };
  const parts = [el('path', { d, ...style }, tooltip(s.label))];
  for (const i of markerIndices(s.points.length)) {
    const p = s.points[i];
    const title = tooltip(`${s.label} · step ${p.x}: ${format(p.y)}`);
    parts.push(el('circle', { cx: x(p.x), cy: y(p.y), r: 2.5, fill: s.color, class: 'marker' }, title));
  }
  return parts;
}

export function lineChart(chart: LineChart): string {
  const width = chart.width ?? 640;
  const height = chart.height ?? 280;
  const plotRight = width - MARGIN.right;
  const plotBottom = height - MARGIN.bottom;
  const series = chart.series.filter((s) => s.points.length > 0);
  if (series.length === 0) return svgRoot(width, height, chart.title, text(width / 2, height / 2, 'no data'));
  const { x: xAxis, y: yAxis } = axes(series);
  const x = linearScale(xAxis.domain, [MARGIN.left, plotRight]);
  const y = linearScale(yAxis.domain, [plotBottom, MARGIN.top]);
  const xTitle = text((MARGIN.left + plotRight) / 2, height - 6, chart.xLabel, {
    class: 'label',
    'text-anchor': 'middle',
  });
  return svgRoot(
    width,
    height,
    chart.title,
    ...valueGrid(yAxis.ticks, y, MARGIN.left, plotRight),
    ...stepTicks(xAxis.ticks, x, plotBottom),
    baseline(MARGIN.left, plotRight, plotBottom),
    ...series.flatMap((s) => seriesParts(s, x, y, chart.format)),
    xTitle,
    yTitle(chart.yLabel, MARGIN.top, plotBottom),
  );
}
