/** Colours: a categorical palette for methods and a sequential scale for heatmaps. */

/** Distinct hues for merged models (Observable's 10-colour scheme with its grey swapped for cyan). */
const CATEGORICAL = [
  '#4269d0',
  '#efb118',
  '#ff725c',
  '#6cc5b0',
  '#3ca951',
  '#ff8ab7',
  '#a463f2',
  '#97bbf5',
  '#9c6b4e',
  '#17becf',
];

/** Greys for reference rows (pre-trained, individual experts) so merged models stand out. */
const REFERENCE = ['#b8bcc4', '#6e737b', '#8f949c'];

/** Colour per method id, stable across all charts of a report: references grey, others by order. */
export function methodColors(methods: { method: string; reference?: boolean }[]): Map<string, string> {
  const colors = new Map<string, string>();
  let merged = 0;
  let reference = 0;
  for (const { method, reference: isReference } of methods) {
    if (colors.has(method)) continue;
    colors.set(
      method,
      isReference ? REFERENCE[reference++ % REFERENCE.length] : CATEGORICAL[merged++ % CATEGORICAL.length],
    );
  }
  return colors;
}

/** Light to dark blue, evenly spaced stops (ColorBrewer "Blues"). */
const SEQUENTIAL: [number, number, number][] = [
  [247, 251, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
];

function hex(channel: number): string {
  return Math.round(channel).toString(16).padStart(2, '0');
}

/** Colour of t ∈ [0, 1] (clamped) on the sequential scale, as #rrggbb. */
export function sequentialColor(t: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const position = clamped * (SEQUENTIAL.length - 1);
  const i = Math.min(SEQUENTIAL.length - 2, Math.floor(position));
  const f = position - i;
  const [a, b] = [SEQUENTIAL[i], SEQUENTIAL[i + 1]];
  return `#${hex(a[0] + (b[0] - a[0]) * f)}${hex(a[1] + (b[1] - a[1]) * f)}${hex(a[2] + (b[2] - a[2]) * f)}`;
}

/** Whether text drawn on the sequential colour of t should be white rather than dark. */
export function needsLightText(t: number): boolean {
  return t > 0.55;
}
