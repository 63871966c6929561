/**
 * The one error type users see. Its message is a single line that names the file, tensor, op or
 * argument concerned and what was expected; the CLI prints it after `wemoe: ` and exits non-zero.
 * Control characters in the message (from file names, tensor names or config values) are escaped, so
 * that it stays one line and cannot drive the terminal.
 */
export class WemoeError extends Error {
  override name = 'WemoeError';

  constructor(message: string) {
    super(escapeControl(message));
  }
}

// C0 controls, DEL, C1 controls, line/paragraph separators and the bidirectional embedding/override/isolate marks.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every character a terminal acts on written as \n, \r, \t or \uXXXX. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JSON text with the characters JSON.stringify leaves raw but terminals act on (C1, U+2028/9, bidi marks) escaped; still valid JSON. */
export function terminalSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
