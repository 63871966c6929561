/** Number formatting and "best in column" marking shared by the Markdown and HTML reports. */

/** Accuracy fraction → percent with one decimal, as in the paper's tables ("90.5"). */
export function percent(fraction: number): string {
  return (fraction * 100).toFixed(1);
}

/** Parameter counts the way the paper writes them: 96, 12.3K, 7.16M, 1.23G. */
export function formatCount(count: number): string {
  if (count < 1e3) return String(count);
  if (count < 1e6) return `${(count / 1e3).toFixed(1)}K`;
  if (count < 1e9) return `${(count / 1e6).toFixed(2)}M`;
  return `${(count / 1e9).toFixed(2)}G`;
}

export function formatSeconds(seconds: number): string {
  return seconds.toFixed(1);
}

/** A loss with three decimals. */
export function formatLoss(loss: number): string {
  return loss.toFixed(3);
}

/**
 * Which entries are the best (largest) among the eligible ones, compared as displayed (so values that
 * print the same are all best). Null entries and ineligible ones are never best.
 */
export function bestMask(displayed: (string | null)[], eligible: boolean[]): boolean[] {
  let best = Number.NEGATIVE_INFINITY;
  displayed.forEach((text, i) => {
    if (text !== null && eligible[i]) best = Math.max(best, Number(text));
  });
  return displayed.map((text, i) => text !== null && eligible[i] && Number(text) === best);
}

/** Display name of a task: the report's label for it when given, else its name. */
export function taskLabel(labels: Record<string, string> | undefined, task: string): string {
  return labels?.[task] ?? task;
}
