/** README.md stays short, starts with the two commands, and its merge config runs as written. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseEvalConfig } from '../src/config/eval-config.js';
import { parseMergeConfig } from '../src/config/merge-config.js';
import { suiteTasks } from '../src/data/suite.js';
import { runEval } from '../src/eval/run-eval.js';
import { runMerge } from '../src/methods/run-merge.js';

const root = resolve(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const lines = readme.split('\n');

/** The body of every fenced block of `language`. */
function fencedBlocks(language: string): string[] {
  const blocks: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== `\`\`\`${language}`) continue;
    const end = lines.indexOf('```', i + 1);
    expect(end, `README.md: the block opened at line ${i + 1} is not closed`).toBeGreaterThan(i);
    blocks.push(lines.slice(i + 1, end).join('\n'));
    i = end;
  }
  return blocks;
}

/** The accuracy cells (%) of the demo table's row labelled `label`. */
function tableRow(label: string): number[] {
  const row = lines.find((line) => line.startsWith(`| ${label} `));
  expect(row, `README.md: no table row "${label}"`).toBeDefined();
  const cells = row!.split('|').slice(2, -1);
  return cells.map((cell) => Number(cell.replace(/\*/g, '').trim()));
}

/** The `--set` values of the README's `npx wemoe merge merge.yaml ...` line that sets `method=<method>`. */
function setArguments(method: string): string[] {
  const command = new RegExp(`\`npx wemoe merge merge\\.yaml (--set method=${method} [^\`]*)\``).exec(readme);
  expect(command, `README.md: no \`npx wemoe merge merge.yaml --set method=${method} ...\``).not.toBeNull();
  // Shell words: split on spaces outside single quotes, then drop the quotes.
  const words = command![1].match(/(?:[^\s']+|'[^']*')+/g)!.map((w) => w.replace(/'/g, ''));
  expect(words.filter((_, i) => i % 2 === 0).every((w) => w === '--set')).toBe(true);
  return words.filter((_, i) => i % 2 === 1);
}

describe('README.md', () => {
  it('is at most 150 lines and starts with the two commands', () => {
    expect(lines.length).toBeLessThanOrEqual(150);
    const start = lines.filter((line) => line.trim() !== '').slice(0, 5);
    expect(start[0]).toBe('# wemoe');
    expect(start[1]).toBe('```bash');
    expect(start[2].startsWith('npm ci && npx wemoe demo ')).toBe(true);
    expect(start[3].startsWith('npm ci && npm test ')).toBe(true);
    expect(start[4]).toBe('```');
  });

  describe('the merge config example', () => {
    const out = mkdtempSync(join(tmpdir(), 'wemoe-readme-'));
    afterAll(() => rmSync(out, { recursive: true, force: true }));
    const output = join(out, 'merged');

    it('runs as written from the repository root and scores the demo table row of its method', async () => {
      const examples = fencedBlocks('yaml');
      expect(examples).toHaveLength(1);
      const raw = parseYaml(examples[0]);
      // As `npx wemoe merge merge.yaml --set output=...` with merge.yaml at the repository root.
      const where = { baseDir: root, source: 'README.md', overrides: [`output=${output}`] };
      const config = parseMergeConfig(raw, where);
      expect(config.method).toBe('task_arithmetic');
      expect(Object.keys(config.models.experts)).toEqual(suiteTasks());

      await runMerge(config, { progress: 'none', log: () => {} });
      expect(existsSync(join(output, 'model.safetensors'))).toBe(true);
      expect(existsSync(join(output, 'config.json'))).toBe(true);
      expect(existsSync(join(output, 'heads.safetensors'))).toBe(true);

      // As `npx wemoe eval merge.yaml --set output=...`: the demo's task arithmetic row, cell by cell.
      const { report } = await runEval(parseEvalConfig(raw, where), { progress: 'none', log: () => {} });
      const result = report.methods[0];
      const percent = (x: number) => Number((100 * x).toFixed(1));
      const measured = [...suiteTasks().map((t) => result.per_task[t].accuracy), result.average.accuracy];
      expect(measured.map(percent)).toEqual(tableRow('Task arithmetic'));
      expect(readme).toContain(
        `${percent(result.average.accuracy)} % average, the demo's task arithmetic row`,
      );
    });

    it('also validates with the WEMoE line (a dry run: the plan, nothing written)', async () => {
      const overrides = setArguments('wemoe').map((set) =>
        set.startsWith('output=') ? `output=${join(out, 'wemoe')}` : set,
      );
      const raw = parseYaml(fencedBlocks('yaml')[0]);
      const config = parseMergeConfig(raw, { baseDir: root, source: 'README.md', overrides });
      expect(config.method).toBe('wemoe');
      expect(config.parameters).toMatchObject({ steps: 100, lr: 1e-3, router_depth: 2 });
      const result = await runMerge(config, { dryRun: true, log: () => {} });
      expect(result.plan[0]).toMatch(/^method: wemoe \(test-time\)/);
      expect(existsSync(join(out, 'wemoe'))).toBe(false);
    });
  });
});
