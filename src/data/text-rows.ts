/**
 * Text task rows from JSON lines (one object per line) or tab-separated values with a header row — the
 * small-file forms of a GLUE split (Hugging Face's parquet is read elsewhere). A row maps column names to
 * strings or numbers; TSV cells that read as plain numbers become numbers (labels, STS-B scores).
 */
import { readFileSync } from 'node:fs';
import { WemoeError } from '../errors.js';

export type TextRow = Readonly<Record<string, string | number>>;

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseJsonLines(text: string, path: string): TextRow[] {
  const rows: TextRow[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new WemoeError(`${path}: line ${i + 1} is not JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new WemoeError(`${path}: line ${i + 1} is not a JSON object`);
    rows.push(value as TextRow);
  });
  return rows;
}

function parseTsv(text: string, path: string): TextRow[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const header = lines[0].split('\t');
  return lines.slice(1).flatMap((line, i) => {
    if (line === '') return [];
    const cells = line.split('\t');
    if (cells.length !== header.length)
      throw new WemoeError(`${path}: line ${i + 2} has ${cells.length} fields, the header ${header.length}`);
    return [
      Object.fromEntries(
        header.map((name, c) => [name, NUMBER.test(cells[c]) ? Number(cells[c]) : cells[c]]),
      ),
    ];
  });
}

/** The rows of a `.jsonl` or `.tsv` file. */
export function readTextRows(path: string): TextRow[] {
  const kind = path.endsWith('.jsonl') ? 'jsonl' : path.endsWith('.tsv') ? 'tsv' : undefined;
  if (!kind) throw new WemoeError(`${path}: expected a .jsonl or .tsv file of text rows`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new WemoeError(`${path}: cannot read the file`);
  }
  const rows = kind === 'jsonl' ? parseJsonLines(text, path) : parseTsv(text, path);
  if (rows.length === 0) throw new WemoeError(`${path}: holds no rows`);
  return rows;
}
