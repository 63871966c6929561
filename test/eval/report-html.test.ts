import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/eval/report-html.js';
import type { RunReport } from '../../src/eval/report-types.js';
import { readReport, writeReports } from '../../src/eval/write-reports.js';
import { fixtureReport } from './fixture.js';

/** Anything that would make the page load something: scheme URLs, CSS url()/@import, external tags. */
const EXTERNAL = [
  /\b(?:src|href|xlink:href|action|poster|srcset)\s*=\s*["']?\s*[a-z][a-z0-9+.-]*:/i,
  /url\s*\(/i,
  /@import/i,
  /https?:\/\//i,
  /<(?:script|link|img|iframe|object|embed)\b/i,
];

function svgLabels(html: string): string[] {
  return [...html.matchAll(/<svg [^>]*aria-label="([^"]*)"/g)].map((m) => m[1]);
}

function minimalReport(): RunReport {
  const report = fixtureReport();
  delete report.experiments;
  report.methods = report.methods.slice(0, 4);
  return report;
}

describe('HTML report', () => {
  const html = renderHtml(fixtureReport());

  it('detects external references (the check itself)', () => {
    const offenders = [
      '<a href="https://example.com">',
      '<img src=data:image/png;base64,AAAA>',
      '<div style="background: url(x.png)">',
      '<style>@import "x.css";</style>',
      '<script>1</script>',
    ];
    for (const offender of offenders) expect(EXTERNAL.some((p) => p.test(offender))).toBe(true);
    expect(EXTERNAL.some((p) => p.test('<a href="#routing">'))).toBe(false);
  });

  it('references nothing outside the file', () => {
    for (const pattern of EXTERNAL) expect(html).not.toMatch(pattern);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<style>');
  });

  it('draws an inline SVG for every chart', () => {
    expect(svgLabels(html)).toEqual([
      'Accuracy per method per task',
      'Test-time adaptation loss',
      'AdaMerging (layer-wise): adaptation loss per task',
      'WEMoE (depth 2): adaptation loss per task',
      'mean routing weight',
      'WEMoE (depth 2): mean routing weight per layer',
      'Seen and unseen average accuracy',
      'Average accuracy per test set',
    ]);
    expect(html.match(/<svg /g)).toHaveLength(html.match(/<\/svg>/g)!.length);
  });

  it('marks the best merged model per column and mutes reference rows', () => {
    expect(html).toContain('<tr class="reference"><td>Individual</td><td class="num">99.0</td>');
    expect(html).toContain(
      '<td>WEMoE (depth 2)</td><td class="num best">98.0</td><td class="num best">90.0</td>',
    );
    expect(html).toContain(
      '<td>Ties-Merging</td><td class="num">80.0</td><td class="num">65.0</td><td class="num best">61.0</td>',
    );
  });

  it('shows routing weights per layer with values on hover, one bar per method and task', () => {
    expect(html).toContain('<title>layer 1, samples of mnist, expert Fashion-MNIST: -0.10</title>');
    expect(html).toContain('<title>layer 0, samples of kmnist, expert kmnist: 0.70</title>');
    // 3 tasks × 3 experts × 2 layers cells.
    expect(html.match(/<title>layer \d, samples of/g)).toHaveLength(18);
    // 6 methods × (3 tasks + Avg.) bars.
    expect(html.match(/<rect [^>]*><title>[^<]* · (?:mnist|Fashion-MNIST|kmnist|Avg\.): /g)).toHaveLength(24);
    expect(html).toContain('<title>WEMoE (depth 2) · Avg.: 82.7%</title>');
  });

  it("draws the attention routers' heatmaps after the MLP routers', and alone for an attention-only method", () => {
    const report = fixtureReport();
    const wemoe = report.methods[5];
    const attention = {
      ...wemoe.routing!,
      mean_weights: wemoe.routing!.mean_weights.map((l) => l.map((r) => r.map((w) => w + 1))),
    };
    wemoe.attention_routing = attention;
    report.methods.push({
      ...wemoe,
      method: 'wemoe_attention',
      label: 'WEMoE (attention only)',
      routing: undefined,
    });
    const labels = svgLabels(renderHtml(report)).filter((l) => l.includes('routing weight per layer'));
    expect(labels).toEqual([
      'WEMoE (depth 2): mean routing weight per layer',
      'WEMoE (depth 2), attention routers: mean routing weight per layer',
      'WEMoE (attention only), attention routers: mean routing weight per layer',
    ]);
    expect(renderHtml(report)).toContain(
      '<title>layer 1, samples of mnist, expert Fashion-MNIST: 0.90</title>',
    );
  });

  it('folds the per-task robustness numbers into a details element', () => {
    const detail = html.slice(html.indexOf('<details>'), html.indexOf('</details>'));
    expect(detail).toContain('<summary>Accuracy per task (%)</summary>');
    expect(detail).toContain(
      '<td>Motion blur</td><td>WEMoE (depth 2)</td><td class="num">75.0</td><td class="num">65.0</td><td class="num">70.0</td>',
    );
  });

  it('escapes all text', () => {
    expect(html).toContain('<title>Demo &lt;suite&gt; &amp; friends</title>');
    expect(html).toContain('<h1>Demo &lt;suite&gt; &amp; friends</h1>');
    expect(html).not.toContain('<suite>');
  });

  it('shows cost, settings and changed hyperparameters', () => {
    expect(html).toContain('<td>WEMoE (depth 2)</td><td class="num">7.16M</td><td class="num">573.96M</td>');
    expect(html).toContain(
      '<td>batch|size</td><td class="num">16</td><td class="num">8</td><td class="wrap">memory</td>',
    );
    expect(html).toContain('Quick mode: fewer adaptation steps and test subsets');
  });

  it('leaves out the sections of a run without adaptation, routing or experiments', () => {
    const plain = renderHtml(minimalReport());
    expect(svgLabels(plain)).toEqual(['Accuracy per method per task']);
    for (const heading of ['Test-time adaptation', 'Routing analysis', 'Generalization', 'Robustness']) {
      expect(plain).not.toContain(`<h2>${heading}`);
    }
  });
});

describe('writeReports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wemoe-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes report.json, report.md and report.html and nothing else', () => {
    const out = join(dir, 'nested', 'run');
    const paths = writeReports(out, fixtureReport());
    expect(paths).toEqual({
      json: join(out, 'report.json'),
      md: join(out, 'report.md'),
      html: join(out, 'report.html'),
    });
    expect(readdirSync(out).sort()).toEqual(['report.html', 'report.json', 'report.md']);
    const json = JSON.parse(readFileSync(paths.json, 'utf8'));
    for (const key of ['method', 'mnist', 'fashion', 'kmnist', 'average', 'model_info', 'timing']) {
      expect(json.methods.wemoe_depth2).toHaveProperty(key);
    }
    expect(json.methods.wemoe_depth2.model_info).toHaveProperty('trainable_params', 7_160_000);
    expect(readFileSync(paths.md, 'utf8')).toMatch(/\| WEMoE \(depth 2\) +\| \*\*98\.0\*\* \|/);
    expect(readFileSync(paths.html, 'utf8')).toBe(renderHtml(fixtureReport()));
    expect(readReport(paths.json)).toEqual(fixtureReport());
  });

  it('writes nothing for an inconsistent report', () => {
    const report = fixtureReport();
    delete report.methods[1].per_task.mnist;
    const out = join(dir, 'bad');
    expect(() => writeReports(out, report)).toThrow(/methods\[1\] "individual"\.per_task\.mnist: is missing/);
    expect(existsSync(out)).toBe(false);
  });

  it('names the file when report.json cannot be read', () => {
    expect(() => readReport(join(dir, 'missing.json'))).toThrow(/missing\.json: could not read the report/);
  });
});
