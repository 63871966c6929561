import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAllDemos } from '../../src/demo/combine.js';
import { loadTextSuite, TEXT_SUITE_TASKS } from '../../src/demo/text-suite.js';
import { REDUCED_TASKS, reducedSuite } from './reduced-suite.js';
import { ROWS_PER_TASK, writeReducedTextSuite } from './reduced-text-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-demo-all-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wemoe demo --suite all', () => {
  it('writes each suite its report and one joint table of both suites tasks', async () => {
    writeReducedTextSuite(join(dir, 'text-suite'));
    const suites = {
      vision: reducedSuite(dir),
      text: await loadTextSuite({ root: join(dir, 'text-suite'), limit: ROWS_PER_TASK }),
    };
    const out = join(dir, 'out');
    const { report, table } = await runAllDemos(suites, {
      out,
      methods: ['pretrained', 'task_arithmetic', 'wemoe_depth0'],
      budget: {
        ttaSteps: 1,
        ttaBatch: 3,
        schedule: 'constant',
        wemoeLr: 1e-2,
        adamergingLr: 1e-2,
        evalBatch: 8,
      },
      progress: 'none',
      threads: 1,
      log: () => {},
    });
    for (const suite of ['vision', 'text'])
      for (const file of ['report.json', 'report.md', 'report.html'])
        expect(existsSync(join(out, suite, file)), `${suite}/${file}`).toBe(true);
    const parts = ['vision', 'text'].map((s) =>
      JSON.parse(readFileSync(join(out, s, 'report.json'), 'utf8')),
    );
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const tasks = [...REDUCED_TASKS, ...TEXT_SUITE_TASKS];
    expect(json.tasks).toEqual(tasks);
    expect(json.task_metrics.dark).toBe('accuracy');
    expect(json.task_metrics.stsb).toBe('spearman');
    expect(report.methods.map((m) => m.method)).toEqual(['pretrained', 'task_arithmetic', 'wemoe_depth0']);
    for (const m of report.methods) {
      const [v, t] = parts.map((p) => p.methods[m.method]);
      expect(m.per_task.mid.accuracy).toBe(v.mid.accuracy);
      expect(m.per_task.cola.accuracy).toBe(t.cola.accuracy);
      const mean = tasks.reduce((s, task) => s + m.per_task[task].accuracy, 0) / tasks.length;
      expect(m.average.accuracy).toBeCloseTo(mean, 12);
      expect(m.model_info.all_params).toBe(v.model_info.all_params + t.model_info.all_params);
      expect(m.timing.total_s).toBeCloseTo(v.timing.total_s + t.timing.total_s, 9);
    }
    expect(json.settings.changed_hyperparameters.map((c: { name: string }) => c.name)).toContain(
      'text: wemoe.steps',
    );
    expect(table).toContain('STS-B');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain(join(out, 'text', 'report.html'));
  }, 60_000);
});
