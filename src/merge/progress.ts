/** Merge progress for people: a bar per phase on a terminal, plain lines in logs, nothing when quiet. */
import cliProgress from 'cli-progress';
import { type ProgressMode, resolveProgressMode } from '../util/progress.js';
import type { MergeProgress } from './stream.js';

export interface ProgressReporter {
  readonly onProgress: (progress: MergeProgress) => void;
  /** Ends the current bar, if any. */
  readonly done: () => void;
}

function phaseLabel(p: MergeProgress): string {
  return p.phase === 'observe' ? `pass ${p.pass + 1}` : 'merge';
}

export function createProgressReporter(mode: ProgressMode, log: (line: string) => void): ProgressReporter {
  const resolved = resolveProgressMode(mode);
  if (resolved === 'none') return { onProgress: () => {}, done: () => {} };
  if (resolved === 'lines') {
    return {
      onProgress: (p) => {
        // Observation passes only say when they end: the merge pass lists every tensor.
        if (p.phase === 'merge') log(`merge ${p.index}/${p.total} ${p.name}`);
        else if (p.index === p.total) log(`${phaseLabel(p)}: read ${p.total} tensors`);
      },
      done: () => {},
    };
  }
  let bar: cliProgress.SingleBar | undefined;
  let current = '';
  const done = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    onProgress: (p) => {
      const label = phaseLabel(p);
      if (label !== current) {
        done();
        current = label;
        bar = new cliProgress.SingleBar(
          { format: `${label.padEnd(7)} |{bar}| {value}/{total} tensors {tensor}`, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.total, 0, { tensor: '' });
      }
      bar?.update(p.index, { tensor: p.name });
    },
    done,
  };
}
