import { describe, expect, it } from 'vitest';
import {
  budgetWithSteps,
  changedHyperparameters,
  FULL_BUDGET,
  PAPER_HYPERPARAMETERS,
  QUICK_BUDGET,
} from '../../src/demo/budget.js';

describe('demo budget', () => {
  it("keeps the paper's summed learning rate when it cuts the steps", () => {
    const b = budgetWithSteps(250);
    expect(b.wemoeLr).toBe(4e-4);
    expect(b.adamergingLr).toBe(4e-3);
    expect(b.ttaSteps * b.wemoeLr).toBeCloseTo(
      PAPER_HYPERPARAMETERS.ttaSteps * PAPER_HYPERPARAMETERS.wemoeLr,
      12,
    );
    expect(budgetWithSteps(1000).wemoeLr).toBe(PAPER_HYPERPARAMETERS.wemoeLr);
  });

  it('reports exactly the settings that differ from the paper, with their values', () => {
    expect(changedHyperparameters(budgetWithSteps(1000))).toEqual([]);
    const quick = changedHyperparameters(QUICK_BUDGET);
    const byName = Object.fromEntries(quick.map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(
      ['adamerging.lr', 'adamerging.steps', 'test images per task', 'wemoe.lr', 'wemoe.steps'].sort(),
    );
    expect(byName['wemoe.steps']).toMatchObject({ paper: 1000, used: QUICK_BUDGET.ttaSteps });
    expect(byName['test images per task']).toMatchObject({ paper: 'all', used: QUICK_BUDGET.testLimit });
    expect(changedHyperparameters(FULL_BUDGET).map((c) => c.name)).not.toContain('test images per task');
    for (const c of quick) expect(c.why.length).toBeGreaterThan(10);
    // A 96-wide encoder: the router weight matrices' lr is carried from the paper's width 768.
    const narrow = changedHyperparameters(FULL_BUDGET, 96).find((c) => c.name.startsWith('wemoe.lr of'));
    expect(narrow).toMatchObject({ paper: PAPER_HYPERPARAMETERS.wemoeLr, used: FULL_BUDGET.wemoeLr * 8 });
    expect(narrow!.why).toMatch(/× 768 \/ 96/);
  });
});
