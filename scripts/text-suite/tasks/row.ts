/** One example as a JSON line: the GLUE task's fields, `label`, GLUE's `idx`, and the source item it came from. */
export type TextSuiteRow = Record<string, string | number>;

/** The row with `idx` set to its position (after the split's final shuffle). */
export function numbered(rows: readonly TextSuiteRow[]): TextSuiteRow[] {
  return rows.map((row, idx) => {
    const { source, ...rest } = row;
    return { ...rest, idx, source };
  });
}

/** "a dog", "an owl". */
export function withArticle(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;
}

export function capitalize(text: string): string {
  return text.length === 0 ? text : text[0].toUpperCase() + text.slice(1);
}
