/**
 * What optional parts of wemoe need from outside npm, one row per dependency: the Debian packages that
 * provide it, and how its presence is checked. The library itself needs none of them; the suite
 * builders, some tests and the benchmarks' PyTorch peers do. docs/system-packages.md lists the same
 * rows (a test keeps the two in step). Tests that need a row are tagged `needs:<name>` and skipped, with
 * the message below, when it is missing; the builders fail with the same message.
 *
 * WEMOE_HIDE_SYSTEM_DEPS=1 makes every lookup here answer "missing", so that one machine can check how
 * the suite behaves on a machine without these packages (CI does, in .ci/run).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { WemoeError } from '../errors.js';

/** Present when every file exists. */
interface FileProbe {
  readonly files: readonly string[];
}

/** Present when one candidate command, run with `args`, exits with status 0 (the first such is used). */
interface CommandProbe {
  readonly commands: () => readonly string[];
  readonly args: readonly string[];
}

export interface SystemDependency {
  /** Debian packages that provide it (`apt-get install -y …`). */
  readonly packages: readonly string[];
  /** Whether CI installs it: true for every dependency that a test needs, so that CI skips no test. */
  readonly ci: boolean;
  readonly probe: FileProbe | CommandProbe;
}

const FONTS = '/usr/share/fonts/';
/** Fashion-MNIST's gzipped IDX files (Debian dataset-fashion-mnist). */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
/** The UCI optical digits as scikit-learn ships them (Debian python3-sklearn). */
export const UCI_DIGITS_CSV = '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz';

/** Candidates from an environment variable first, then the given defaults. */
const fromEnv =
  (variable: string, ...defaults: string[]) =>
  () =>
    [process.env[variable], ...defaults].filter((c): c is string => Boolean(c));

export const SYSTEM_DEPENDENCIES = {
  // Used by the suite builders: rendered tasks (letters, house-digits, greek, kana) and the glyph corpus.
  'suite-fonts': {
    packages: [
      'fonts-dejavu-core',
      'fonts-dejavu-extra',
      'fonts-liberation',
      'fonts-freefont-ttf',
      'fonts-noto-core',
      'fonts-noto-cjk',
      'fonts-urw-base35',
      'fonts-lato',
      'fonts-ipafont',
      'fonts-vlgothic',
    ],
    ci: true,
    // One file of each package (the files the builders draw with are all in these packages).
    probe: {
      files: [
        `${FONTS}truetype/dejavu/DejaVuSans.ttf`,
        `${FONTS}truetype/dejavu/DejaVuSansCondensed-Bold.ttf`,
        `${FONTS}truetype/liberation/LiberationSans-Regular.ttf`,
        `${FONTS}truetype/freefont/FreeSans.ttf`,
        `${FONTS}truetype/noto/NotoSans-Regular.ttf`,
        `${FONTS}opentype/noto/NotoSansCJK-Regular.ttc`,
        `${FONTS}opentype/urw-base35/NimbusSans-Regular.otf`,
        `${FONTS}truetype/lato/Lato-Regular.ttf`,
        `${FONTS}opentype/ipafont-gothic/ipag.ttf`,
        `${FONTS}opentype/ipafont-mincho/ipam.ttf`,
        `${FONTS}truetype/vlgothic/VL-Gothic-Regular.ttf`,
      ],
    },
  },
  // Used by the suite builder: the uci-digits task (the UCI digits that scikit-learn ships).
  'sklearn-digits': {
    packages: ['python3-sklearn'],
    ci: true,
    probe: { files: [UCI_DIGITS_CSV] },
  },
  // Used by the suite builder: the fashion task.
  'fashion-mnist': {
    packages: ['dataset-fashion-mnist'],
    // No test reads it, but CI builds the suite's train splits, whose tests then run.
    ci: true,
    probe: {
      files: ['train', 't10k'].flatMap((part) =>
        ['images-idx3', 'labels-idx1'].map((kind) => `${FASHION_MNIST_DIR}/${part}-${kind}-ubyte.gz`),
      ),
    },
  },
  // Used by the text suite's builders: sst2, mrpc and the pre-training corpus (no test reads it).
  fortunes: {
    packages: ['fortunes'],
    ci: false,
    probe: { files: ['/usr/share/games/fortunes/fortunes'] },
  },
  // Used by the PyTorch peers of the benchmarks (npm run bench).
  pytorch: {
    packages: ['python3-torch', 'libopenblas0-pthread'],
    ci: false,
    probe: {
      commands: fromEnv('WEMOE_TORCH_PYTHON', '/usr/bin/python3', 'python3'),
      args: ['-c', 'import torch'],
    },
  },
  // Used by the browser test of the exported web page (test/export/browser.test.ts).
  chromium: {
    packages: ['chromium'],
    ci: true,
    probe: { commands: fromEnv('WEMOE_CHROMIUM', 'chromium'), args: ['--version'] },
  },
  // Used by tests on a tmpfs (tag a test needs:mount; none yet).
  mount: {
    packages: ['mount'],
    ci: false,
    probe: { commands: () => ['mount'], args: ['--version'] },
  },
} as const satisfies Record<string, SystemDependency>;

export type SystemDependencyName = keyof typeof SYSTEM_DEPENDENCIES;

export function systemDependencyNames(): SystemDependencyName[] {
  return Object.keys(SYSTEM_DEPENDENCIES) as SystemDependencyName[];
}

/** The vitest tag of the tests that need `name`. */
export function systemDependencyTag(name: SystemDependencyName): string {
  return `needs:${name}`;
}

function hidden(): boolean {
  return process.env.WEMOE_HIDE_SYSTEM_DEPS === '1';
}

/** "install the Debian packages …", as every message about this dependency ends. */
export function installHint(name: SystemDependencyName): string {
  const { packages } = SYSTEM_DEPENDENCIES[name];
  const noun = packages.length === 1 ? 'package' : 'packages';
  return `install the Debian ${noun} ${packages.join(' ')} (see docs/system-packages.md)`;
}

/** Whether a file that `name` provides exists; never while WEMOE_HIDE_SYSTEM_DEPS=1. */
export function systemFileExists(path: string): boolean {
  return !hidden() && existsSync(path);
}

/** "missing", and why when it is only hidden. */
function missingWord(): string {
  return hidden() ? 'missing (hidden by WEMOE_HIDE_SYSTEM_DEPS=1)' : 'missing';
}

/** Throws the one-line error for a missing file of `name` unless it exists. */
export function requireSystemFile(name: SystemDependencyName, path: string): void {
  if (!systemFileExists(path)) throw new WemoeError(`${path}: ${missingWord()}; ${installHint(name)}`);
}

/** Probe results by command line: a probe such as `python3 -c "import torch"` takes seconds. */
const probed = new Map<string, boolean>();

/** The command that provides `name` (for command probes), or undefined when none works. */
export function systemCommand(name: SystemDependencyName): string | undefined {
  const { probe } = SYSTEM_DEPENDENCIES[name] as SystemDependency;
  if (hidden() || !('commands' in probe)) return undefined;
  return probe.commands().find((command) => {
    const line = [command, ...probe.args].join(' ');
    if (!probed.has(line))
      probed.set(line, spawnSync(command, probe.args, { stdio: 'ignore', timeout: 60_000 }).status === 0);
    return probed.get(line);
  });
}

/** Why `name` is unusable here, as one line ending in the install hint; undefined when it is present. */
export function missingSystemDependency(name: SystemDependencyName): string | undefined {
  const { probe } = SYSTEM_DEPENDENCIES[name] as SystemDependency;
  if ('files' in probe) {
    const absent = probe.files.find((file) => !systemFileExists(file));
    return absent === undefined ? undefined : `${absent}: ${missingWord()}; ${installHint(name)}`;
  }
  if (systemCommand(name) !== undefined) return undefined;
  const why = hidden()
    ? 'hidden by WEMOE_HIDE_SYSTEM_DEPS=1'
    : `\`<command> ${probe.args.join(' ')}\` failed for every command tried (${probe.commands().join(', ')})`;
  return `${name}: ${why}; ${installHint(name)}`;
}

/** Throws the one-line error of `missingSystemDependency` when `name` is missing. */
export function requireSystemDependency(name: SystemDependencyName): void {
  const missing = missingSystemDependency(name);
  if (missing !== undefined) throw new WemoeError(missing);
}
