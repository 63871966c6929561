import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProcessorConfig } from '../../src/data/preprocess/config.js';
import { loadTaskData } from '../../src/data/task-data.js';
import { loadClipTokenizer } from '../../src/models/tokenizers/clip.js';
import { writeTinyClipModel } from '../models/clip-text/tiny-clip-model.js';
import { referenceForward } from '../models/clip-vision/reference-forward.js';
import { BOS, EOS } from '../models/tokenizers/tiny-vocab.js';
import { referenceLogits, referenceRows } from '../models/zeroshot/reference-heads.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-cli-heads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const model = join(dir, 'clip');
const { vision, text, params } = writeTinyClipModel(model, { seed: 8 });

const CLASSES = ['ant', 'cat', 'dog'];
const TEMPLATES = ['a photo of a {}.', 'a blurry photo of the {}.'];

/** images/<class>/<n>.png: 8×8 random RGB, 3 per class. */
function writeImages(root: string): void {
  let state = 12345;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % 256;
  };
  for (const c of CLASSES) {
    mkdirSync(join(root, c), { recursive: true });
    for (let n = 0; n < 3; n++) {
      const image = new PNG({ width: 8, height: 8 });
      for (let p = 0; p < 64; p++) image.data.set([next(), next(), next(), 255], p * 4);
      writeFileSync(join(root, c, `${n}.png`), PNG.sync.write(image));
    }
  }
}
writeImages(join(dir, 'images'));

writeFileSync(
  join(dir, 'heads.yaml'),
  [
    'model: clip',
    'output: out/heads.safetensors',
    'tasks:',
    '  animals:',
    `    classes: [${CLASSES.join(', ')}]`,
    '    templates: templates.txt',
    '',
  ].join('\n'),
);
writeFileSync(join(dir, 'templates.txt'), `${TEMPLATES.join('\n')}\n`);
writeFileSync(
  join(dir, 'eval.yaml'),
  ['model: clip', 'heads: out/heads.safetensors', 'tasks:', '  animals: {data: images}', ''].join('\n'),
);

function wemoe(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8' });
}

describe('wemoe heads + wemoe eval on a full CLIPModel folder', () => {
  it('builds the heads and evaluates with them: accuracy as the float64 reference predicts', async () => {
    const heads = wemoe('heads', join(dir, 'heads.yaml'), '--quiet', '--threads', '1');
    expect(heads.stderr).toBe('');
    expect(heads.status).toBe(0);
    const out = join(dir, 'reports');
    const run = wemoe('eval', join(dir, 'eval.yaml'), '--out', out, '--quiet');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const accuracy = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).methods.model.animals
      .accuracy;

    const tokenizer = loadClipTokenizer(model);
    const ids = await Promise.all(
      CLASSES.map((c) => tokenizer.encode(TEMPLATES.map((t) => t.replace('{}', c)))),
    );
    const rows = referenceRows(text, params, ids);
    const data = loadTaskData(
      'animals',
      { data: join(dir, 'images'), split: 'test' },
      loadProcessorConfig(model, 8),
    );
    const pixels = (await data.pixels([...Array(data.count).keys()])).data as Float32Array;
    let correct = 0;
    for (let i = 0; i < data.count; i++) {
      const image = Float64Array.from(pixels.subarray(i * 192, (i + 1) * 192));
      const pooled = referenceForward(vision, params, image).poolerOutput;
      const logits = referenceLogits(pooled, params.get('visual_projection.weight')!, Math.log(100), rows);
      if (logits.indexOf(Math.max(...logits)) === data.labels[i]) correct++;
    }
    expect(data.count).toBe(9);
    expect(accuracy).toBeCloseTo(correct / 9, 12);
  });

  it('--dry-run prints the plan and writes nothing; errors are one line', () => {
    const dry = wemoe(
      'heads',
      join(dir, 'heads.yaml'),
      '--dry-run',
      '--quiet',
      '--set',
      'output=dry.safetensors',
    );
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('task animals: 3 classes (list) × 2 templates');
    const bad = wemoe('heads', join(dir, 'heads.yaml'), '--set', 'tasks.animals.templates=[a photo]');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(
      `wemoe: ${join(dir, 'heads.yaml')}: tasks.animals.templates: "a photo" has no {} (where the class name goes)\n`,
    );
  });

  it('wemoe tokenize prints the ids of each text', () => {
    // The folder's tokenizer.json; ids as pinned in test/models/tokenizers (cat → cat</w>, 518).
    const plain = wemoe('tokenize', '--model', model, 'Hello, World!', 'cat');
    expect(plain.status).toBe(0);
    expect(plain.stdout).toBe(`${BOS} 515 267 86 78 81 75 323 256 ${EOS}\n${BOS} 518 ${EOS}\n`);
    const json = wemoe('tokenize', '--model', model, '--json', 'hello');
    expect(JSON.parse(json.stdout)).toEqual([[BOS, 515, EOS]]);
  });
});
