// Reports of text tasks (a T5 model on GLUE): FusionBench's GLUE table, STS-B's Spearman ρ, no loss.
import { describe, expect, it } from 'vitest';
import { checkRunReport } from '../../src/eval/report-check.js';
import { renderHtml } from '../../src/eval/report-html.js';
import { runReportFromJson, runReportJson } from '../../src/eval/report-json.js';
import { renderMarkdown } from '../../src/eval/report-markdown.js';
import type { MethodResult, RunReport } from '../../src/eval/report-types.js';

function method(id: string, label: string, scores: [number, number, number]): MethodResult {
  const [cola, sst2, stsb] = scores;
  return {
    method: id,
    label,
    per_task: {
      cola: { accuracy: cola, loss: 0 },
      sst2: { accuracy: sst2, loss: 0 },
      stsb: { accuracy: stsb, loss: 0 },
    },
    average: { accuracy: (cola + sst2 + stsb) / 3, loss: 0 },
    model_info: { trainable_params: 0, all_params: 1000 },
    timing: { setup_s: 1, adapt_s: 0, eval_s: 2, total_s: 3 },
  };
}

function glueReport(): RunReport {
  return {
    title: 'Flan-T5 on GLUE',
    created: '2026-12-07T20:00:00.000Z',
    machine: { cpus: 2, node: 'v20.0.0', ort: '1.30.0' },
    settings: { quick: false, changed_hyperparameters: [] },
    tasks: ['cola', 'sst2', 'stsb'],
    task_metrics: { cola: 'accuracy', sst2: 'accuracy', stsb: 'spearman' },
    methods: [
      method('task_arithmetic', 'Task arithmetic', [0.7, 0.9, -0.25]),
      method('wemoe', 'WEMoE', [0.75, 0.85, 0.5]),
    ],
  };
}

describe('reports of text tasks', () => {
  it("report.json: each task's one metric (FusionBench's keys), the average, task_metrics; read back", () => {
    const json = runReportJson(glueReport());
    expect(json.task_metrics).toEqual({ cola: 'accuracy', sst2: 'accuracy', stsb: 'spearman' });
    const ta = json.methods.task_arithmetic;
    expect(ta.cola).toEqual({ accuracy: 0.7 });
    expect(ta.stsb).toEqual({ spearman_rho: -0.25 });
    expect(ta.average).toEqual({ accuracy: (0.7 + 0.9 - 0.25) / 3 });
    const back = runReportFromJson(JSON.parse(JSON.stringify(json)), 'r.json');
    expect(back).toEqual(glueReport());

    const broken = JSON.parse(JSON.stringify(json));
    broken.methods.wemoe.stsb = { accuracy: 0.5 };
    expect(() => runReportFromJson(broken, 'r.json')).toThrow(
      'r.json: methods.wemoe.stsb: expected {"spearman_rho"}, a number',
    );
  });

  it('Markdown: the GLUE table with the ρ column marked, and no loss table', () => {
    const md = renderMarkdown(glueReport());
    expect(md).toContain("## GLUE score (%): accuracy; Spearman's ρ × 100 in the (ρ) columns");
    expect(md).toContain('| Method          |     cola |     sst2 | stsb (ρ) |     Avg. |');
    expect(md).toContain('| Task arithmetic |     70.0 | **90.0** |    -25.0 |     45.0 |');
    expect(md).toContain('| WEMoE           | **75.0** |     85.0 | **50.0** | **70.0** |');
    expect(md).not.toContain('Mean test loss');
  });

  it('HTML: the same table, a chart reaching below 0 for a negative ρ, no loss table', () => {
    const html = renderHtml(glueReport());
    expect(html).toContain('stsb (ρ)');
    expect(html).toContain('GLUE score (%)');
    expect(html).toContain('-25.0%');
    expect(html).not.toContain('Mean test loss');
  });

  it('checks: ρ in [−1, 1] only for Spearman tasks; task_metrics names exactly the tasks', () => {
    const report = glueReport();
    report.methods[0].per_task.cola.accuracy = -0.1;
    expect(() => checkRunReport(report)).toThrow(
      'report: methods[0] "task_arithmetic".per_task.cola.accuracy: is -0.1, expected [0, 1]',
    );
    const missing = glueReport();
    missing.task_metrics = { cola: 'accuracy', sst2: 'accuracy' };
    expect(() => checkRunReport(missing)).toThrow('report: task_metrics: has no metric for task "stsb"');
    const extra = glueReport();
    extra.task_metrics = { ...extra.task_metrics, rte: 'accuracy' };
    expect(() => checkRunReport(extra)).toThrow('report: task_metrics.rte: names no task of tasks');
  });
});
