/** Progress of long work for people: a bar on a terminal, plain lines in logs, nothing when quiet. */
import cliProgress from 'cli-progress';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface Progress {
  /** `value` of `total` done; `status` is a short text such as "loss 0.42 · 3.1 steps/s". */
  update(value: number, status: string): void;
  stop(): void;
}

export function resolveProgressMode(mode: ProgressMode): Exclude<ProgressMode, 'auto'> {
  return mode === 'auto' ? (process.stderr.isTTY ? 'bar' : 'lines') : mode;
}

/**
 * A progress display for `total` units named `unit`. In line mode it prints about `lines` evenly spaced
 * lines (and the last), so logs stay short.
 */
export function createProgress(
  mode: ProgressMode,
  label: string,
  total: number,
  log: (line: string) => void,
  unit = 'steps',
  lines = 10,
): Progress {
  const resolved = resolveProgressMode(mode);
  if (resolved === 'none') return { update: () => {}, stop: () => {} };
  if (resolved === 'lines') {
    const every = Math.max(1, Math.ceil(total / lines));
    return {
      update: (value, status) => {
        if (value % every === 0 || value === total) log(`${label} ${value}/${total} ${unit} ${status}`);
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: `${label} |{bar}| {value}/{total} ${unit} {status}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { status: '' });
  return { update: (value, status) => bar.update(value, { status }), stop: () => bar.stop() };
}
