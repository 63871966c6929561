import { describe, expect, it } from 'vitest';
import { groupedBarChart } from '../../src/eval/svg/bar-chart.js';
import { methodColors, sequentialColor } from '../../src/eval/svg/color.js';
import { heatmapGrid } from '../../src/eval/svg/heatmap.js';
import { lineChart } from '../../src/eval/svg/line-chart.js';
import { linearScale, niceAxis, niceStep, tickLabel } from '../../src/eval/svg/scale.js';
import { el, escapeXml } from '../../src/eval/svg/svg.js';

/** Attributes of every <rect> that has a fill, in drawing order. */
function rects(svg: string): { x: number; y: number; width: number; height: number; fill: string }[] {
  return [...svg.matchAll(/<rect ([^>]*?)\/?>/g)]
    .map((m) => Object.fromEntries([...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])))
    .filter((attrs) => attrs.fill !== undefined)
    .map((attrs) => ({
      x: Number(attrs.x),
      y: Number(attrs.y),
      width: Number(attrs.width),
      height: Number(attrs.height),
      fill: attrs.fill,
    }));
}

describe('scales and ticks', () => {
  it('picks steps of 1, 2 or 5 times a power of ten', () => {
    expect([0.138, 1, 3, 7, 0.04].map(niceStep)).toEqual([0.2, 1, 5, 10, 0.05]);
  });

  it('covers the range with whole steps', () => {
    expect(niceAxis(0, 1)).toEqual({ domain: [0, 1], ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(niceAxis(0.23, 0.92)).toEqual({ domain: [0.2, 1], ticks: [0.2, 0.4, 0.6, 0.8, 1] });
    expect(niceAxis(0, 1000, 6).ticks).toEqual([0, 200, 400, 600, 800, 1000]);
    // A constant series still gets an axis around its value.
    expect(niceAxis(2, 2).domain[0]).toBeLessThan(2);
    expect(niceAxis(2, 2).domain[1]).toBeGreaterThan(2);
  });

  it('maps linearly and labels ticks with the decimals the step needs', () => {
    const y = linearScale([0, 100], [200, 0]);
    expect([y(0), y(25), y(100)]).toEqual([200, 150, 0]);
    expect(tickLabel(0.4, [0, 0.2, 0.4])).toBe('0.4');
    expect(tickLabel(0.05, [0, 0.05])).toBe('0.05');
    expect(tickLabel(200, [0, 200])).toBe('200');
  });
});

describe('colours and markup', () => {
  it('runs the sequential scale from light to dark through its stops', () => {
    expect(sequentialColor(0)).toBe('#f7fbff');
    expect(sequentialColor(0.5)).toBe('#6baed6');
    expect(sequentialColor(1)).toBe('#08306b');
    expect(sequentialColor(2)).toBe('#08306b');
    expect(sequentialColor(Number.NaN)).toBe('#f7fbff');
  });

  it('gives references greys and every merged method its own hue', () => {
    const colors = methodColors([
      { method: 'pretrained', reference: true },
      { method: 'a' },
      { method: 'b' },
      { method: 'a' },
    ]);
    expect(colors.get('pretrained')).toBe('#b8bcc4');
    expect(colors.get('a')).not.toBe(colors.get('b'));
    expect(colors.size).toBe(3);
  });

  it('escapes text and attributes', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(el('rect', { x: 1.23456, fill: '"red"', y: undefined })).toBe(
      '<rect x="1.23" fill="&quot;red&quot;"/>',
    );
  });
});

describe('charts', () => {
  it('draws bars whose heights are proportional to their values', () => {
    const svg = groupedBarChart({
      title: 't',
      groups: ['a', 'b'],
      series: [
        { label: 's1', color: '#111111', values: [50, 100] },
        { label: 's2', color: '#222222', values: [25, null] },
      ],
      yLabel: '%',
      yDomain: [0, 100],
      format: String,
      height: 300,
    });
    const bars = rects(svg);
    expect(bars.map((b) => b.fill)).toEqual(['#111111', '#222222', '#111111']);
    const full = bars[2].height;
    expect(bars[0].height).toBeCloseTo(full / 2, 1);
    expect(bars[1].height).toBeCloseTo(full / 4, 1);
    // All bars stand on the same baseline.
    expect(new Set(bars.map((b) => Math.round((b.y + b.height) * 10))).size).toBe(1);
    expect(svg).toContain('<title>s2 · a: 25</title>');
  });

  it('draws one path per series through its points', () => {
    const svg = lineChart({
      title: 't',
      series: [
        {
          label: 'up',
          color: '#111111',
          points: [
            { x: 0, y: 0 },
            { x: 10, y: 1 },
          ],
        },
        {
          label: 'flat',
          color: '#222222',
          points: [
            { x: 0, y: 0.5 },
            { x: 10, y: 0.5 },
          ],
          dashed: true,
        },
      ],
      xLabel: 'step',
      yLabel: 'loss',
      format: (v) => v.toFixed(1),
    });
    const paths = [...svg.matchAll(/<path d="M([\d.]+) ([\d.]+)L([\d.]+) ([\d.]+)"/g)].map((m) =>
      m.slice(1).map(Number),
    );
    expect(paths).toHaveLength(2);
    const [up, flat] = paths;
    expect(up[1]).toBeGreaterThan(up[3]); // rising line: smaller y on screen
    expect(flat[1]).toBe(flat[3]);
    expect(flat[1]).toBeCloseTo((up[1] + up[3]) / 2, 1);
    expect(svg).toContain('stroke-dasharray="5 4"');
    expect(svg).toContain('<title>up · step 10: 1.0</title>');
  });

  it('draws every cell of every panel of a heatmap grid on the shared colour domain', () => {
    const svg = heatmapGrid({
      title: 'routing',
      panels: [
        {
          title: 'layer 0',
          values: [
            [0, 1],
            [0.5, 0.25],
          ],
        },
        {
          title: 'layer 1',
          values: [
            [1, 1],
            [1, 1],
          ],
        },
      ],
      rowLabels: ['r0', 'r1'],
      colLabels: ['c0', 'c1'],
      domain: [0, 1],
      format: (v) => v.toFixed(2),
      cell: 26,
    });
    const cells = rects(svg);
    expect(cells).toHaveLength(8);
    expect(cells.slice(0, 4).map((c) => c.fill)).toEqual(['#f7fbff', '#08306b', '#6baed6', '#c6dbef']);
    expect(cells.slice(4).every((c) => c.fill === '#08306b')).toBe(true);
    expect(svg).toContain('<title>layer 0, row r1, column c0: 0.50</title>');
    // Cells of 26 px print their values.
    expect(svg.match(/class="cell-value"/g)).toHaveLength(8);
  });

  it('wraps many panels into rows that fit the width without overlapping', () => {
    const names = ['sun397', 'stanford-cars', 'resisc45', 'eurosat', 'svhn', 'gtsrb', 'mnist', 'dtd'];
    const values = names.map((_, r) => names.map((_, c) => (r === c ? 1 : 0)));
    const svg = heatmapGrid({
      title: 'routing',
      panels: Array.from({ length: 12 }, (_, l) => ({ title: `layer ${l}`, values })),
      rowLabels: names,
      colLabels: names,
      domain: [0, 1],
      format: (v) => v.toFixed(2),
      cell: 14,
      maxWidth: 960,
    });
    const width = Number(svg.match(/viewBox="0 0 ([\d.]+) /)![1]);
    expect(width).toBeLessThanOrEqual(960);
    const cells = rects(svg);
    expect(cells).toHaveLength(12 * 64);
    const boxes = Array.from({ length: 12 }, (_, p) => {
      const panel = cells.slice(p * 64, (p + 1) * 64);
      return {
        left: Math.min(...panel.map((c) => c.x)),
        right: Math.max(...panel.map((c) => c.x + c.width)),
        top: Math.min(...panel.map((c) => c.y)),
        bottom: Math.max(...panel.map((c) => c.y + c.height)),
      };
    });
    expect(Math.max(...boxes.map((b) => b.right))).toBeLessThanOrEqual(width);
    expect(new Set(boxes.map((b) => b.top)).size).toBeGreaterThan(1);
    for (let i = 0; i < 12; i++) {
      for (let j = i + 1; j < 12; j++) {
        const [a, b] = [boxes[i], boxes[j]];
        const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        expect(overlap).toBe(false);
      }
    }
    // Without room for values in 14 px cells, they live in the tooltips only.
    expect(svg).not.toContain('cell-value');
  });
});
