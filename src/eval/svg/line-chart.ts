/** A line chart with several series over a shared x axis (adaptation steps), e.g. TTA loss curves. */
import { linearScale, niceAxis, tickLabel } from './scale.js';
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
  const parts: string[] = [];
  for (const tick of yAxis.ticks) {
    parts.push(el('line', { x1: MARGIN.left, x2: plotRight, y1: y(tick), y2: y(tick), class: 'grid' }));
    parts.push(
      text(MARGIN.left - 6, y(tick) + 4, tickLabel(tick, yAxis.ticks), {
        class: 'tick',
        'text-anchor': 'end',
      }),
    );
  }
  for (const tick of xAxis.ticks) {
    parts.push(
      text(x(tick), plotBottom + 16, tickLabel(tick, xAxis.ticks), {
        class: 'tick',
        'text-anchor': 'middle',
      }),
    );
  }
  parts.push(el('line', { x1: MARGIN.left, x2: plotRight, y1: plotBottom, y2: plotBottom, class: 'axis' }));
  for (const s of series) {
    const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${num(x(p.x))} ${num(y(p.y))}`).join('');
    const style = {
      fill: 'none',
      stroke: s.color,
      'stroke-width': 2,
      'stroke-dasharray': s.dashed ? '5 4' : undefined,
    };
    parts.push(el('path', { d, ...style }, tooltip(s.label)));
    for (const i of markerIndices(s.points.length)) {
      const p = s.points[i];
      const title = tooltip(`${s.label} · step ${p.x}: ${chart.format(p.y)}`);
      parts.push(el('circle', { cx: x(p.x), cy: y(p.y), r: 2.5, fill: s.color, class: 'marker' }, title));
    }
  }
  parts.push(
    text((MARGIN.left + plotRight) / 2, height - 6, chart.xLabel, {
      class: 'label',
      'text-anchor': 'middle',
    }),
  );
  parts.push(
    text(0, 0, chart.yLabel, {
      class: 'label',
      'text-anchor': 'middle',
      transform: `translate(14 ${(MARGIN.top + plotBottom) / 2}) rotate(-90)`,
    }),
  );
  return svgRoot(width, height, chart.title, ...parts);
}
