/**
 * Reading a YAML config file: any failure (unreadable file, syntax error, an alias bomb that `yaml`
 * stops at its alias limit) is one WemoeError naming the file.
 */
import { readFileSync } from 'node:fs';
import { parseDocument, YAMLError } from 'yaml';
import { WemoeError } from '../errors.js';
import { systemErrorCode } from '../io/fs-error.js';
import { checkRegularFile } from '../io/regular-file.js';

/** Aliases a config may use; the alias bomb's expansion is refused past it (yaml's own default). */
const MAX_ALIASES = 100;

/** The parsed document of the YAML file at `path`; `what` (e.g. "merge config") names it in errors. */
export function readYamlFile(path: string, what: string): unknown {
  checkRegularFile(path, what);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new WemoeError(`${path}: cannot read the ${what} (${systemErrorCode(error) ?? error})`);
  }
  return parseYamlText(text, path);
}

/**
 * Parses YAML text; `where` names its source in errors. Warnings (an unresolved tag, an ambiguous
 * alias) are errors too: a config that means something other than it seems to should not run.
 */
export function parseYamlText(text: string, where: string): unknown {
  try {
    const doc = parseDocument(text, { logLevel: 'error' }); // warnings are raised below, not printed
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) throw problem;
    return doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    if (error instanceof YAMLError) {
      const at = error.linePos ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '';
      throw new WemoeError(`${where}: invalid YAML${at}: ${error.message.split('\n')[0]}`);
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new WemoeError(`${where}: YAML not accepted: ${reason.split('\n')[0]}`);
  }
}
