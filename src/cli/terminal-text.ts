/**
 * Untrusted text (tensor names, metadata from a downloaded file) made safe to print: control
 * characters would start fake rows (newline, carriage return) or drive the terminal (escape sequences,
 * C1 controls, bidirectional overrides), so each is shown as a visible escape instead.
 */

// C0 controls, DEL, C1 controls, line/paragraph separators and the bidirectional embedding/override/isolate marks.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every unsafe character written as \n, \r, \t or \u00XX. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JSON text with the characters JSON.stringify leaves raw but terminals act on (C1, U+2028/9, bidi marks) escaped; still valid JSON. */
export function terminalSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
