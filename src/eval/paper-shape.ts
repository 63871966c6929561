/**
 * The paper's main finding (Tang et al. 2024, Table 2, CLIP ViT-B/32, average accuracy over eight
 * tasks) as checks on a run: WEMoE close to the individual experts, then WEMoE > layer-wise AdaMerging
 * > Ties > task arithmetic > weight averaging. A check is made only when the run has both its rows
 * (method ids as the demo names them).
 */
import { percent } from './format.js';
import type { RunReport } from './report-types.js';

export interface ShapeCheck {
  /** e.g. "WEMoE (depth 2) above layer-wise AdaMerging" */
  readonly claim: string;
  /** The paper's two averages, e.g. "89.4 vs 80.9" */
  readonly paper: string;
  /** This run's two averages, same layout */
  readonly here: string;
  readonly holds: boolean;
}

/** Where the paper's numbers come from, for the reports. */
export const PAPER_SHAPE_SOURCE =
  'Average accuracy (%); the paper: Tang et al. 2024, Table 2, CLIP ViT-B/32 on eight tasks.';

/** How far under the individual experts WEMoE may be and still count as matching them (points). */
export const WEMOE_TOLERANCE_POINTS = 2;

/** The paper's ViT-B/32 averages (%), by demo method id. */
const PAPER_AVERAGES: Readonly<Record<string, number>> = {
  individual: 90.5,
  weight_averaging: 66.0,
  task_arithmetic: 69.0,
  ties: 72.8,
  adamerging_layer: 80.9,
  wemoe_depth2: 89.4,
};

/** [higher, lower, claim]: the run's average of `higher` must exceed that of `lower`. */
const ORDER: readonly [string, string, string][] = [
  ['wemoe_depth2', 'adamerging_layer', 'WEMoE (depth 2) above layer-wise AdaMerging'],
  ['adamerging_layer', 'ties', 'layer-wise AdaMerging above Ties-Merging'],
  ['ties', 'task_arithmetic', 'Ties-Merging above task arithmetic'],
  ['task_arithmetic', 'weight_averaging', 'task arithmetic above weight averaging'],
];

function pair(a: number, b: number): string {
  return `${a.toFixed(1)} vs ${b.toFixed(1)}`;
}

/** The checks this run can make, in the order above (WEMoE against the experts first). */
export function paperShapeChecks(report: RunReport): ShapeCheck[] {
  const averages = new Map(report.methods.map((m) => [m.method, m.average.accuracy]));
  const checks: ShapeCheck[] = [];
  const wemoe = averages.get('wemoe_depth2');
  const individual = averages.get('individual');
  if (wemoe !== undefined && individual !== undefined) {
    checks.push({
      claim: `WEMoE (depth 2) within ${WEMOE_TOLERANCE_POINTS} points of the individual experts`,
      paper: pair(PAPER_AVERAGES.wemoe_depth2, PAPER_AVERAGES.individual),
      here: `${percent(wemoe)} vs ${percent(individual)}`,
      // 1e-9: 0.95 − 0.93 is 0.0200000…02 in floating point, and exactly 2 points must count.
      holds: 100 * (individual - wemoe) <= WEMOE_TOLERANCE_POINTS + 1e-9,
    });
  }
  for (const [higher, lower, claim] of ORDER) {
    const a = averages.get(higher);
    const b = averages.get(lower);
    if (a === undefined || b === undefined) continue;
    checks.push({
      claim,
      paper: pair(PAPER_AVERAGES[higher], PAPER_AVERAGES[lower]),
      here: `${percent(a)} vs ${percent(b)}`,
      holds: a > b,
    });
  }
  return checks;
}
