import { describe, expect, it } from 'vitest';
import { bestMask, formatCount } from '../../src/eval/format.js';
import { accuracyTableMarkdown, renderMarkdown } from '../../src/eval/report-markdown.js';
import { fixtureReport } from './fixture.js';

/** The cells of a table line, trimmed; rule cells shortened to --- or ---:, so padding does not matter. */
function cellsOf(line: string): string[] {
  return line
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/^-+(:?)$/, '---$1'));
}

/** Table lines normalised with cellsOf and rejoined unpadded. */
function normalised(lines: string[]): string[] {
  return lines.map((line) => `| ${cellsOf(line).join(' | ')} |`);
}

function tableAfter(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const lines = markdown.slice(start).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rest = lines.slice(first);
  return normalised(
    rest.slice(
      0,
      rest.findIndex((line) => !line.startsWith('|')),
    ),
  );
}

describe('Markdown report', () => {
  const markdown = renderMarkdown(fixtureReport());

  it("lays out the paper's Table 2 with the best merged model per column in bold", () => {
    expect(normalised(accuracyTableMarkdown(fixtureReport()).split('\n'))).toEqual([
      '| Method | mnist | Fashion-MNIST | kmnist | Avg. |',
      '| --- | ---: | ---: | ---: | ---: |',
      '| Pre-trained | 50.0 | 40.0 | 30.0 | 40.0 |',
      // The individual experts are a reference: higher than everything, never bold.
      '| Individual | 99.0 | 95.0 | 97.0 | 97.0 |',
      '| Weight averaging | 70.0 | 60.0 | 50.0 | 60.0 |',
      '| Ties-Merging | 80.0 | 65.0 | **61.0** | 68.7 |',
      '| AdaMerging (layer-wise) | 85.0 | 70.0 | 60.0 | 71.7 |',
      '| WEMoE (depth 2) | **98.0** | **90.0** | 60.0 | **82.7** |',
    ]);
    expect(tableAfter(markdown, '## Accuracy (%)')).toHaveLength(8);
    // Padded to column widths, so the printed table lines up.
    const widths = new Set(
      accuracyTableMarkdown(fixtureReport())
        .split('\n')
        .map((line) => line.length),
    );
    expect(widths.size).toBe(1);
  });

  it('lists losses, parameter counts and timings per method', () => {
    const losses = tableAfter(markdown, '## Mean test loss');
    expect(losses[7]).toBe('| WEMoE (depth 2) | 0.020 | 0.100 | 0.400 | 0.173 |');
    const cost = tableAfter(markdown, '## Cost');
    expect(cost[0]).toBe(
      '| Method | Trainable params | Total params | Setup (s) | Adapt (s) | Eval (s) | Total (s) |',
    );
    expect(cost[6]).toBe('| AdaMerging (layer-wise) | 36 | 1.23M | 1.0 | 30.5 | 2.0 | 33.5 |');
    expect(cost[7]).toBe('| WEMoE (depth 2) | 7.16M | 573.96M | 2.0 | 60.0 | 3.0 | 65.0 |');
  });

  it('says which hyperparameters differ from the paper, escaping table syntax', () => {
    expect(tableAfter(markdown, '### Changed hyperparameters')).toEqual([
      '| Hyperparameter | Paper | Used | Why |',
      '| --- | ---: | ---: | --- |',
      '| wemoe.steps | 1000 | 200 | the 2-minute budget of --quick |',
      '| batch\\|size | 16 | 8 | memory |',
    ]);
    expect(markdown).toContain('- Quick mode: yes (fewer adaptation steps, test subsets)');
    expect(markdown).toContain('# Demo \\<suite> & friends');
  });

  it('prints the generalization table with seen and unseen averages', () => {
    expect(tableAfter(markdown, '## Generalization')).toEqual([
      '| Method | mnist | Fashion-MNIST | kmnist (unseen) | Seen avg. | Unseen avg. |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      '| Task arithmetic | 80.0 | 70.0 | **30.0** | 75.0 | **30.0** |',
      '| WEMoE (depth 2) | **95.0** | **85.0** | 25.0 | **90.0** | 25.0 |',
    ]);
  });

  it('prints Table 5: clean and each corruption as rows, methods as columns', () => {
    expect(markdown).toContain('## Robustness to corrupted test data (severity 2)');
    expect(tableAfter(markdown, '## Robustness')).toEqual([
      '| Test set | Task arithmetic | WEMoE (depth 2) |',
      '| --- | ---: | ---: |',
      '| Clean | 80.0 | **90.0** |',
      '| Motion blur | 60.0 | **70.0** |',
      '| JPEG | **75.0** | 70.0 |',
    ]);
    const detail = tableAfter(markdown, '### Per task');
    expect(detail[0]).toBe('| Test set | Method | mnist | Fashion-MNIST | Avg. |');
    expect(detail[5]).toBe('| Motion blur | WEMoE (depth 2) | 75.0 | 65.0 | 70.0 |');
  });

  it('leaves out experiments that were not run and says when nothing was changed', () => {
    const report = fixtureReport();
    delete report.experiments;
    report.settings.changed_hyperparameters = [];
    const plain = renderMarkdown(report);
    expect(plain).not.toContain('## Generalization');
    expect(plain).not.toContain('## Robustness');
    expect(plain).toContain("None: every hyperparameter is the paper's.");
  });
});

describe('formatting helpers', () => {
  it('marks every entry that displays as the best, among eligible ones only', () => {
    expect(bestMask(['80.0', '80.0', '79.9', null], [true, true, true, true])).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(bestMask(['99.0', '80.0'], [false, true])).toEqual([false, true]);
  });

  it('writes parameter counts as the paper does', () => {
    expect([96, 12_345, 7_160_000, 573_960_000, 1_500_000_000].map(formatCount)).toEqual([
      '96',
      '12.3K',
      '7.16M',
      '573.96M',
      '1.50G',
    ]);
  });
});
