/**
 * JSON.parse silently keeps the last of two equal keys; a safetensors header with a duplicated tensor
 * name is ambiguous, so we look for duplicates ourselves. Call only on text JSON.parse has accepted.
 */

/** The first key that appears twice in one object of the JSON text, or undefined. */
export function findDuplicateKey(json: string): string | undefined {
  const objects: (Set<string> | null)[] = []; // one entry per open {...} (a key set) or [...] (null)
  let i = 0;
  while (i < json.length) {
    const c = json.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = stringEnd(json, i);
      const current = objects[objects.length - 1];
      if (current && isKey(json, end)) {
        const key = JSON.parse(json.slice(i, end)) as string;
        if (current.has(key)) return key;
        current.add(key);
      }
      i = end;
      continue;
    }
    if (c === 0x7b /* { */) objects.push(new Set());
    else if (c === 0x5b /* [ */) objects.push(null);
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) objects.pop();
    i++;
  }
  return undefined;
}

/** Index just past the closing quote of the string starting at `start`. */
function stringEnd(json: string, start: number): number {
  let i = start + 1;
  while (json.charCodeAt(i) !== 0x22) i += json.charCodeAt(i) === 0x5c /* \ */ ? 2 : 1;
  return i + 1;
}

/** Whether the string ending at `end` is followed by a colon (it is a key, not a value). */
function isKey(json: string, end: number): boolean {
  let i = end;
  while (i < json.length && /\s/.test(json[i])) i++;
  return json[i] === ':';
}
