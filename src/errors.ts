/**
 * The one error type users see. Its message is a single line that names the file, tensor, op or
 * argument concerned and what was expected; the CLI prints it after `wemoe: ` and exits non-zero.
 */
export class WemoeError extends Error {
  override name = 'WemoeError';
}
