/**
 * The paper's main finding (Tang et al. 2024, Table 2, CLIP ViT-B/32, average accuracy over eight
 * tasks) as checks on a run: WEMoE close to the individual experts, then WEMoE > layer-wise AdaMerging
 * > Ties > task arithmetic > weight averaging. A check is made only when the run has both its rows
 * (method ids as report.json keys them, FusionBench's names, as the demo writes them).
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

/**
 * Each finding: the run's average of `higher` must exceed that of `lower`, or, with `withinPoints`, be
 * at most that many points under it.
 */
interface Finding {
  readonly higher: string;
  readonly lower: string;
  readonly claim: string;
  readonly withinPoints?: number;
}

const FINDINGS: readonly Finding[] = [
  {
    higher: 'wemoe_depth2',
    lower: 'individual',
    claim: `WEMoE (depth 2) within ${WEMOE_TOLERANCE_POINTS} points of the individual experts`,
    withinPoints: WEMOE_TOLERANCE_POINTS,
  },
  { higher: 'wemoe_depth2', lower: 'adamerging_layer', claim: 'WEMoE (depth 2) above layer-wise AdaMerging' },
  { higher: 'adamerging_layer', lower: 'ties', claim: 'layer-wise AdaMerging above Ties-Merging' },
  { higher: 'ties', lower: 'task_arithmetic', claim: 'Ties-Merging above task arithmetic' },
  { higher: 'task_arithmetic', lower: 'weight_averaging', claim: 'task arithmetic above weight averaging' },
];

/** Whether `a` (fractions) meets `finding` against `b`. */
function holds(finding: Finding, a: number, b: number): boolean {
  if (finding.withinPoints === undefined) return a > b;
  // 1e-9: 0.95 − 0.93 is 0.0200000…02 in floating point, and exactly the tolerance must count.
  return 100 * (b - a) <= finding.withinPoints + 1e-9;
}

/** The checks this run can make, in the order above (WEMoE against the experts first). */
export function paperShapeChecks(report: RunReport): ShapeCheck[] {
  const averages = new Map(report.methods.map((m) => [m.method, m.average.accuracy]));
  const checks: ShapeCheck[] = [];
  for (const finding of FINDINGS) {
    const a = averages.get(finding.higher);
    const b = averages.get(finding.lower);
    if (a === undefined || b === undefined) continue;
    const paper = `${PAPER_AVERAGES[finding.higher].toFixed(1)} vs ${PAPER_AVERAGES[finding.lower].toFixed(1)}`;
    checks.push({
      claim: finding.claim,
      paper,
      here: `${percent(a)} vs ${percent(b)}`,
      holds: holds(finding, a, b),
    });
  }
  return checks;
}
