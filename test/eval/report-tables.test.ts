import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/eval/report-html.js';
import { renderMarkdown } from '../../src/eval/report-markdown.js';
import {
  accuracyTable,
  changedHyperparametersTable,
  costTable,
  findingsTable,
  generalizationTable,
  lossTable,
  type ReportTable,
  robustnessDetailTable,
  robustnessTable,
  settingsEntries,
} from '../../src/eval/report-tables.js';
import type { RunReport } from '../../src/eval/report-types.js';
import { fixtureReport } from './fixture.js';

/** A table as a reader sees it: column titles and alignment, cell texts and which are bold. */
interface SeenTable {
  columns: { title: string; numeric: boolean }[];
  rows: { text: string; strong: boolean }[][];
}

function seen(table: ReportTable): SeenTable {
  return {
    columns: table.columns.map((c) => ({ title: c.title, numeric: c.numeric === true })),
    rows: table.rows.map((row) => row.cells.map((c) => ({ text: c.text, strong: c.strong === true }))),
  };
}

/** Tables in a canonical order, so that two reports placing them differently still compare. */
const sorted = (tables: SeenTable[]) => tables.map((t) => JSON.stringify(t)).sort();

const unescapeMarkdown = (text: string) => text.replace(/\\(.)/g, '$1');

function markdownCells(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** Every table of report.md, parsed back from its pipes, rule row and ** markers. */
function markdownTables(markdown: string): SeenTable[] {
  const blocks: string[][] = [];
  let previous = '';
  for (const line of markdown.split('\n')) {
    if (line.startsWith('|') && !previous.startsWith('|')) blocks.push([]);
    if (line.startsWith('|')) blocks[blocks.length - 1].push(line);
    previous = line;
  }
  return blocks.map(([header, rule, ...rows]) => {
    const numeric = markdownCells(rule).map((c) => c.endsWith(':'));
    return {
      columns: markdownCells(header).map((title, c) => ({
        title: unescapeMarkdown(title),
        numeric: numeric[c],
      })),
      rows: rows.map((line) =>
        markdownCells(line).map((cell) => {
          const bold = /^\*\*(.*)\*\*$/.exec(cell);
          return { text: unescapeMarkdown(bold ? bold[1] : cell), strong: bold !== null };
        }),
      ),
    };
  });
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };
const unescapeHtml = (text: string) => text.replace(/&(amp|lt|gt|quot|#39);/g, (_, name) => ENTITIES[name]);

function htmlCells(row: string): { text: string; classes: string[] }[] {
  return [...row.matchAll(/<(t[hd])(?: class="([^"]*)")?>(.*?)<\/\1>/g)].map((m) => ({
    text: unescapeHtml(m[3]),
    classes: (m[2] ?? '').split(' '),
  }));
}

/** Every table of report.html, parsed back from its th/td elements and their classes. */
function htmlTables(html: string): SeenTable[] {
  return [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((table) => {
    const [header, ...rows] = [...table[1].matchAll(/<tr[^>]*>(.*?)<\/tr>/g)].map((m) => htmlCells(m[1]));
    return {
      columns: header.map((c) => ({ title: c.text, numeric: c.classes.includes('num') })),
      rows: rows.map((row) => row.map((c) => ({ text: c.text, strong: c.classes.includes('best') }))),
    };
  });
}

/** The fixture, with a method label that needs escaping in both formats. */
function realisticReport(): RunReport {
  const report = fixtureReport();
  report.methods[2].label = 'Weight | averaging <uniform> & "plain"';
  return report;
}

function modelTables(report: RunReport): SeenTable[] {
  const { generalization, robustness } = report.experiments!;
  return [
    accuracyTable(report),
    findingsTable(report)!,
    lossTable(report),
    costTable(report),
    generalizationTable(generalization!, report.task_labels),
    robustnessTable(robustness!),
    robustnessDetailTable(robustness!, report.task_labels),
    changedHyperparametersTable(report.settings)!,
  ].map(seen);
}

describe('report.md and report.html hold the same tables', () => {
  const report = realisticReport();
  const fromMarkdown = markdownTables(renderMarkdown(report));
  const fromHtml = htmlTables(renderHtml(report));

  it('finds every table of the run in both, cell for cell, bold for bold', () => {
    const expected = modelTables(report);
    expect(fromMarkdown).toHaveLength(8);
    expect(fromHtml).toHaveLength(8);
    expect(sorted(fromMarkdown)).toEqual(sorted(expected));
    expect(sorted(fromHtml)).toEqual(sorted(expected));
  });

  it('parses back known cells: an escaped label, a bold best value, a failing finding', () => {
    const accuracy = fromHtml[0];
    expect(accuracy.rows[2][0].text).toBe('Weight | averaging <uniform> & "plain"');
    expect(accuracy.rows[5].map((c) => c.strong)).toEqual([false, true, true, false, true]);
    const findings = fromMarkdown[1];
    expect(findings.rows[0].slice(2)).toEqual([
      { text: '82.7 vs 97.0', strong: false },
      { text: 'no', strong: true },
    ]);
    // Bold in both: 4 accuracy bests, 1 failing finding, 5 generalization bests, 3 robustness bests.
    const strong = (tables: SeenTable[]) =>
      tables.flatMap((t) => t.rows.flat()).filter((c) => c.strong).length;
    expect(strong(fromMarkdown)).toBe(13);
    expect(strong(fromHtml)).toBe(13);
  });

  it('lists the same settings in both', () => {
    const markdown = renderMarkdown(report);
    const settings = markdown.slice(markdown.indexOf('## Settings'), markdown.indexOf('### Changed'));
    const bullets = [...settings.matchAll(/^- (.*)$/gm)].map((m) => m[1]);
    const html = renderHtml(report);
    const pairs = [...html.matchAll(/<dt>(.*?)<\/dt><dd>(.*?)<\/dd>/g)].map(
      (m) => `${m[1]}: ${unescapeHtml(m[2])}`,
    );
    const settingsHtml = html.slice(html.indexOf('<h2>Settings</h2>'), html.indexOf('<h3>Changed'));
    const notes = [...settingsHtml.matchAll(/<p class="note">(.*?)<\/p>/g)].map((m) => unescapeHtml(m[1]));
    expect(bullets).toEqual([...pairs, ...notes]);
    expect(pairs).toEqual(settingsEntries(report.settings).map(([k, v]) => `${k}: ${v}`));
    expect(bullets).toHaveLength(5);
  });
});
