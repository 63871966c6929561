import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTPUT_MARKER, openAtomicOutput } from '../../src/io/atomic-output.js';
import { acquireLock } from '../../src/io/lock-file.js';
import { tempDir } from './helpers.js';

const root = tempDir('atomic-output');
const child = join(import.meta.dirname, 'fixtures', 'commit-and-die.ts');

function write(output: string, content: string): void {
  const out = openAtomicOutput(output);
  writeFileSync(join(out.staging, 'model.txt'), content);
  out.commit();
}

function killedAfter(output: string, step: string, content: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', child, output, step, content], { encoding: 'utf8' });
}

/** The entries of `root` that belong to `name`, the output itself excepted. */
function besides(name: string): string[] {
  return readdirSync(root).filter((f) => f.includes(name) && f !== name);
}

describe('atomic output folders', () => {
  it('writes a new output with its marker and replaces it, leaving nothing beside it', () => {
    const output = join(root, 'plain');
    write(output, 'one');
    expect(readdirSync(output).sort()).toEqual([OUTPUT_MARKER, 'model.txt']);
    write(output, 'two');
    expect(readFileSync(join(output, 'model.txt'), 'utf8')).toBe('two');
    expect(besides('plain')).toEqual([]);
  });

  it('never replaces a folder without the marker: a user folder holding merge_config.yaml keeps its files', () => {
    const output = join(root, 'user');
    mkdirSync(output);
    writeFileSync(join(output, 'merge_config.yaml'), 'method: ties\n');
    writeFileSync(join(output, 'thesis.tex'), 'years of work');
    expect(() => openAtomicOutput(output)).toThrow(
      `${output}: output folder exists and is not a wemoe merge output (no .wemoe-output file inside)`,
    );
    expect(readdirSync(output).sort()).toEqual(['merge_config.yaml', 'thesis.tex']);
    expect(besides('user')).toEqual([]);
  });

  for (const step of ['marked', 'old-moved-away', 'new-moved-in']) {
    it(`a run killed after '${step}' leaves a complete output after the next start`, () => {
      const output = join(root, `killed-${step}`);
      write(output, 'old');
      const run = killedAfter(output, step, 'new');
      expect(run.signal).toBe('SIGKILL');
      // The next run on the output recovers before anything else; discarding it changes nothing more.
      const lines: string[] = [];
      openAtomicOutput(output, { log: (line) => lines.push(line) }).discard();
      const restored =
        step === 'old-moved-away' ? [`${output}: restored the new output an interrupted run left`] : [];
      expect(lines).toEqual(restored);
      // After 'marked' the new copy is complete but the old one is still in place: the old one stays.
      const expected = step === 'marked' ? 'old' : 'new';
      expect(readFileSync(join(output, 'model.txt'), 'utf8')).toBe(expected);
      expect(existsSync(join(output, OUTPUT_MARKER))).toBe(true);
      expect(besides(`killed-${step}`)).toEqual([]);
    });
  }

  it('a run killed between the renames of a first output (no old copy) still recovers the new one', () => {
    const output = join(root, 'first');
    expect(killedAfter(output, 'marked', 'new').signal).toBe('SIGKILL');
    expect(existsSync(output)).toBe(false);
    openAtomicOutput(output).discard();
    expect(readFileSync(join(output, 'model.txt'), 'utf8')).toBe('new');
  });

  it('removes an unfinished staging folder of a killed run and keeps the old output', () => {
    const output = join(root, 'unfinished');
    write(output, 'old');
    const staged = join(root, '.unfinished.tmp-999999-abc123');
    mkdirSync(staged);
    writeFileSync(join(staged, 'model.txt'), 'half');
    write(output, 'next');
    expect(readFileSync(join(output, 'model.txt'), 'utf8')).toBe('next');
    expect(besides('unfinished')).toEqual([]);
  });

  it('refuses a second run on a locked output with one line, and takes over a dead owner’s lock', async () => {
    const output = join(root, 'locked');
    const first = openAtomicOutput(output);
    expect(() => openAtomicOutput(output)).toThrow(
      new RegExp(
        `^${output}: in use by another wemoe run \\(process ${process.pid}, lock file ${output}\\.lock\\)`,
      ),
    );
    first.discard();
    // A lock held by another live process refuses; once that process is gone its lock is stale.
    const holder = spawn('sleep', ['30']);
    writeFileSync(`${output}.lock`, `${holder.pid}\n`);
    expect(() => openAtomicOutput(output)).toThrow(`process ${holder.pid}`);
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    write(output, 'after a stale lock');
    expect(readFileSync(join(output, 'model.txt'), 'utf8')).toBe('after a stale lock');
    expect(existsSync(`${output}.lock`)).toBe(false);
  });

  it('a lock names its owner and is released only by it; a file of other content is never taken', () => {
    const mine = join(root, 'notes.lock');
    writeFileSync(mine, 'my notes');
    expect(() => acquireLock(mine, 'notes')).toThrow(
      `${mine}: exists and is not a wemoe lock file; move it away and run again`,
    );
    expect(readFileSync(mine, 'utf8')).toBe('my notes');
    const path = join(root, 'x.lock');
    const lock = acquireLock(path, 'x');
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
    expect(existsSync(path)).toBe(false);
  });
});
