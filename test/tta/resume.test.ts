import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tinyRun } from './fixtures/tiny-run.js';

const root = mkdtempSync(join(tmpdir(), 'wemoe-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function maxDiff(a: Record<string, number[]>, b: Record<string, number[]>): number {
  let m = 0;
  for (const [n, xs] of Object.entries(a)) {
    for (let i = 0; i < xs.length; i++) m = Math.max(m, Math.abs(xs[i] - b[n][i]));
  }
  return m;
}

describe('test-time adaptation checkpoints', () => {
  it('interrupted and resumed ends with the same parameters as uninterrupted', async () => {
    const whole = await tinyRun(12);
    const dir = join(root, 'in-process');
    const first = await tinyRun(5, dir);
    expect(first.result.steps).toBe(5);
    const resumed = await tinyRun(12, dir, true);
    expect(resumed.result.resumedFrom).toBe(5);
    expect(resumed.result.lossCurve.map((r) => r.loss)).toEqual(whole.result.lossCurve.map((r) => r.loss));
    expect(maxDiff(resumed.params, whole.params)).toBeLessThanOrEqual(1e-6);
    expect(maxDiff(first.params, whole.params)).toBeGreaterThan(1e-4); // the check can fail
  });

  it('a run killed with SIGKILL resumes from its last complete checkpoint', async () => {
    const whole = await tinyRun(12);
    const dir = join(root, 'killed');
    const script = join(import.meta.dirname, 'fixtures', 'tiny-run.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, '12', join(root, 'never.json')], {
      stdio: 'ignore',
    });
    // Kill as soon as step 3 is checkpointed: mid-run, possibly mid-write of a later checkpoint.
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const steps = existsSync(dir) ? readdirSync(dir).map((f) => /^step-(\d+)\.json$/.exec(f)?.[1]) : [];
        if (steps.some((s) => Number(s) >= 3)) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        }
      }, 2);
      exited.then(() => {
        clearInterval(poll);
        resolve();
      });
    });
    await exited;
    expect(child.signalCode).toBe('SIGKILL');
    const out = join(root, 'resumed.json');
    const resume = spawn(process.execPath, ['--import', 'tsx', script, dir, '12', out, 'resume'], {
      stdio: 'inherit',
    });
    const code = await new Promise((resolve) => resume.on('exit', resolve));
    expect(code).toBe(0);
    expect(maxDiff(JSON.parse(readFileSync(out, 'utf8')), whole.params)).toBeLessThanOrEqual(1e-6);
  });
});
