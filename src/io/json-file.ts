/** Small JSON files (config.json, index files): validated reads, atomic writes. */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { WemoeError } from '../errors.js';
import { errorCode } from './byte-io.js';
import { findDuplicateKey } from './json-duplicates.js';
import { checkRegularFile } from './regular-file.js';
import { isPlainObject } from './safetensors-header.js';

/** Reads a JSON object from `path`; a missing file, bad JSON, a non-object or a duplicate key is a WemoeError. */
export function readJsonObject(path: string): Record<string, unknown> {
  checkRegularFile(path, 'JSON file');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new WemoeError(`${path}: cannot read (${errorCode(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new WemoeError(
      `${path}: not valid JSON (${String((error as Error).message).replace(/\s+/g, ' ')})`,
    );
  }
  if (!isPlainObject(json)) throw new WemoeError(`${path}: expected a JSON object`);
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) throw new WemoeError(`${path}: duplicate key ${JSON.stringify(duplicate)}`);
  return json;
}

/** Writes `value` as indented JSON through a temporary file and a rename. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const temp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new WemoeError(`${path}: cannot write (${errorCode(error)})`);
  }
}
