import { describe, expect, it } from 'vitest';
import { paperShapeChecks } from '../../src/eval/paper-shape.js';
import { renderHtml } from '../../src/eval/report-html.js';
import { renderMarkdown } from '../../src/eval/report-markdown.js';
import type { MethodResult, RunReport } from '../../src/eval/report-types.js';
import { fixtureReport } from './fixture.js';

/** The fixture report with its rows replaced by methods of the given average accuracy (every task alike). */
function reportWith(averages: Record<string, number>): RunReport {
  const base = fixtureReport();
  const template = base.methods[0];
  const methods: MethodResult[] = Object.entries(averages).map(([id, accuracy]) => ({
    ...template,
    method: id,
    label: id,
    reference: id === 'individual' || undefined,
    per_task: Object.fromEntries(base.tasks.map((t) => [t, { accuracy, loss: 1 - accuracy }])),
    average: { accuracy, loss: 1 - accuracy },
    tta: undefined,
    routing: undefined,
  }));
  return { ...base, methods };
}

// This session's full demo on the built-in suite.
const DEMO = {
  individual: 0.953,
  weight_averaging: 0.871,
  task_arithmetic: 0.877,
  ties: 0.884,
  adamerging_layer: 0.898,
  wemoe_depth2: 0.918,
};

describe("the paper's findings checked on a run", () => {
  it('checks WEMoE against the experts, then the order of the merges, with both sides of each', () => {
    const checks = paperShapeChecks(reportWith(DEMO));
    expect(checks.map((c) => [c.claim, c.paper, c.here, c.holds])).toEqual([
      ['WEMoE (depth 2) within 2 points of the individual experts', '89.4 vs 90.5', '91.8 vs 95.3', false],
      ['WEMoE (depth 2) above layer-wise AdaMerging', '89.4 vs 80.9', '91.8 vs 89.8', true],
      ['layer-wise AdaMerging above Ties-Merging', '80.9 vs 72.8', '89.8 vs 88.4', true],
      ['Ties-Merging above task arithmetic', '72.8 vs 69.0', '88.4 vs 87.7', true],
      ['task arithmetic above weight averaging', '69.0 vs 66.0', '87.7 vs 87.1', true],
    ]);
  });

  it('counts exactly 2 points under the experts as within, more as not; a tie is not "above"', () => {
    const within = (wemoe: number) =>
      paperShapeChecks(reportWith({ individual: 0.95, wemoe_depth2: wemoe }))[0].holds;
    expect(within(0.93)).toBe(true);
    expect(within(0.9299)).toBe(false);
    expect(within(0.99)).toBe(true);
    const [tie] = paperShapeChecks(reportWith({ task_arithmetic: 0.88, weight_averaging: 0.88 }));
    expect(tie.claim).toBe('task arithmetic above weight averaging');
    expect(tie.holds).toBe(false);
  });

  it('makes only the checks whose two rows the run has', () => {
    expect(
      paperShapeChecks(reportWith({ ties: 0.9, task_arithmetic: 0.8, wemoe_depth2: 0.95 })),
    ).toHaveLength(1);
    expect(paperShapeChecks(reportWith({ pretrained: 0.5, ties: 0.9 }))).toEqual([]);
  });

  it('puts the checks in report.md and report.html, and leaves the section out when there are none', () => {
    const markdown = renderMarkdown(reportWith(DEMO));
    expect(markdown).toContain('## Against the paper');
    expect(markdown).toMatch(
      /\| WEMoE \(depth 2\) within 2 points of the individual experts +\| +89\.4 vs 90\.5 \| +91\.8 vs 95\.3 \| \*\*no\*\* +\|/,
    );
    expect(markdown).toMatch(
      /\| task arithmetic above weight averaging +\| +69\.0 vs 66\.0 \| +87\.7 vs 87\.1 \| yes +\|/,
    );
    const html = renderHtml(reportWith(DEMO));
    expect(html).toContain('<h2>Against the paper</h2>');
    expect(html).toContain('91.8 vs 95.3');
    const without = reportWith({ pretrained: 0.5, ties: 0.9 });
    expect(renderMarkdown(without)).not.toContain('Against the paper');
    expect(renderHtml(without)).not.toContain('Against the paper');
  });
});
