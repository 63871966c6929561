/** The report page's frame: inline CSS, tables, legends. Everything inline; no URL anywhere. */
import type { ReportTable } from '../report-tables.js';
import { escapeXml } from '../svg/svg.js';

const CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #656d76; --line: #d8dee4; --soft: #f6f8fa; --accent: #4269d0; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 32px 24px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; font-weight: 650; }
h2 { font-size: 19px; margin: 40px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); font-weight: 620; }
h3 { font-size: 16px; margin: 24px 0 6px; font-weight: 600; }
p { margin: 6px 0 10px; }
.meta, .note { color: var(--muted); font-size: 13px; }
.banner { background: #fff8e6; border: 1px solid #f0d58c; border-radius: 6px; padding: 8px 12px; margin: 14px 0; font-size: 14px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0; font-size: 14px; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { font-weight: 600; border-bottom: 2px solid var(--line); }
td.num, th.num { text-align: right; }
td.best { font-weight: 700; }
tr.reference td { color: var(--muted); }
tr.reference + tr:not(.reference) td { border-top: 2px solid var(--line); }
td.wrap { white-space: normal; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 6px 0; font-size: 13px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.legend i { display: inline-block; width: 12px; height: 12px; border-radius: 2px; }
.legend i.dashed { height: 0; border-top: 2px dashed; border-radius: 0; }
.grid-charts { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: flex-start; }
.small-chart { flex: 0 1 480px; min-width: 0; }
svg.chart { max-width: 100%; height: auto; display: block; }
svg .grid { stroke: #eaeef2; }
svg .axis { stroke: #8c959f; }
svg .tick { font-size: 11px; fill: var(--muted); }
svg .label { font-size: 12px; fill: var(--fg); }
svg .heading { font-size: 12px; font-weight: 600; fill: var(--fg); }
svg .cell-value { font-size: 9px; }
svg rect:hover, svg .marker:hover { stroke: var(--fg); stroke-width: 1.5; }
details { margin: 10px 0; }
summary { cursor: pointer; color: var(--muted); font-size: 14px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; font-size: 14px; }
dt { color: var(--muted); }
dd { margin: 0; }
`;

/** A table cell as markup: right-aligned when numeric, bold when strong, wrapping when prose. */
function cellHtml(
  tagName: 'td' | 'th',
  text: string,
  classes: { numeric?: boolean; strong?: boolean; wrap?: boolean },
) {
  // `best` is the page's bold class: the best value of a column, or a finding that does not hold.
  const names = [
    classes.numeric ? 'num' : '',
    classes.strong ? 'best' : '',
    classes.wrap ? 'wrap' : '',
  ].filter(Boolean);
  const classAttr = names.length > 0 ? ` class="${names.join(' ')}"` : '';
  return `<${tagName}${classAttr}>${escapeXml(text)}</${tagName}>`;
}

/** A table of report-tables.ts as HTML; reference rows are muted. */
export function htmlTable(table: ReportTable): string {
  const head = `<tr>${table.columns.map((column) => cellHtml('th', column.title, { numeric: column.numeric })).join('')}</tr>`;
  const body = table.rows
    .map((row) => {
      const cells = row.cells.map((cell, c) => {
        const { numeric, wrap } = table.columns[c];
        return cellHtml('td', cell.text, { numeric, strong: cell.strong, wrap });
      });
      return `<tr${row.reference ? ' class="reference"' : ''}>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<div class="scroll"><table>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

/** A colour key in HTML (wraps with the page, unlike text inside an SVG). */
export function legendHtml(items: { label: string; color: string; dashed?: boolean }[]): string {
  const spans = items.map((item) => {
    const swatch = item.dashed
      ? `<i class="dashed" style="border-color: ${escapeXml(item.color)}"></i>`
      : `<i style="background: ${escapeXml(item.color)}"></i>`;
    return `<span>${swatch}${escapeXml(item.label)}</span>`;
  });
  return `<div class="legend">${spans.join('')}</div>`;
}

export function section(title: string, ...body: string[]): string {
  return `<section>\n<h2>${escapeXml(title)}</h2>\n${body.join('\n')}\n</section>`;
}

export function paragraph(content: string, className?: string): string {
  return `<p${className ? ` class="${className}"` : ''}>${escapeXml(content)}</p>`;
}

/** The whole document; `body` is markup already. */
export function page(title: string, body: string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeXml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    ...body,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
