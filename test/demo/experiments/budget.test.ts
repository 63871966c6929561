import { describe, expect, it } from 'vitest';
import {
  experimentBudget,
  experimentChanges,
  GENERALIZATION_BUDGET,
} from '../../../src/demo/experiments/budget.js';

describe('experiment budgets', () => {
  it('keep the 100-step learning rates for robustness and --quick, and say so', () => {
    const robustness = experimentBudget('robustness');
    expect([robustness.ttaSteps, robustness.wemoeLr, robustness.adamergingLr]).toEqual([25, 1e-3, 1e-2]);
    const quick = experimentBudget('generalization', { quick: true });
    expect([quick.ttaSteps, quick.wemoeLr, quick.testLimit]).toEqual([20, 1e-3, 128]);
    const changes = experimentChanges('robustness', robustness, 96);
    const lr = changes.find((c) => c.name === 'robustness: wemoe.lr')!;
    expect(lr).toMatchObject({ paper: 1e-4, used: 1e-3 });
    expect(lr.why).toMatch(/100-step rates, kept for fewer steps/);
    const weights = changes.find((c) => c.name === 'robustness: wemoe.lr of the router weight matrices')!;
    expect(weights).toMatchObject({ paper: 1e-4, used: 8e-3 });
    expect(weights.why).toMatch(/768-wide routers/);
  });

  it("scale generalization's learning rates by 1000 / steps, as the demo does", () => {
    expect(experimentBudget('generalization')).toBe(GENERALIZATION_BUDGET);
    const changes = experimentChanges('generalization', GENERALIZATION_BUDGET, 768);
    const steps = changes.find((c) => c.name === 'generalization: wemoe.steps')!;
    expect(steps).toMatchObject({ paper: 1000, used: 100 });
    expect(steps.why).toMatch(/generalization experiment/);
    expect(changes.find((c) => c.name === 'generalization: wemoe.lr')!.why).toMatch(/^scaled by 1000/);
    expect(changes.map((c) => c.name)).not.toContain(
      'generalization: wemoe.lr of the router weight matrices',
    );
  });
});
