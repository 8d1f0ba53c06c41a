/**
 * Bisecting published versions against a registry of small stand-ins for the series'
 * packages: lockd versions stamped with their steps, a machine that needs the lockd of its
 * step, and a reproducers package whose lockstep-repro "crashes" until lockd 0.2.1.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versionBisect } from '../src/bisect/version-bisect.js';
import { parseBisectLog } from '../src/bisect/version-bisect-log.js';
import { installSandbox } from '../src/bisect/version-bisect-sandbox.js';
import { runProcess } from '../src/lib/proc.js';
import { type RegistryHandle, startEmbeddedRegistry } from '../src/lib/registry.js';
import { cli, HANG_GUARD_MS, makeWorkspace, tempDir, write } from './helpers.js';

const REPRO_CLI = `#!/usr/bin/env node
const { dirname } = require('node:path');
const machine = dirname(require.resolve('@lockstep/machine/package.json'));
const lockd = require(require.resolve('@lockstep/lockd/package.json', { paths: [machine] }));
const [id] = process.argv.slice(2);
if (id !== 'fake-uaf') {
  process.stderr.write("lockstep-repro: unknown reproducer '" + id + "'; valid ids: fake-uaf\\n");
  process.exit(2);
}
const [maj, min, pat] = lockd.version.split('.').map(Number);
const fixed = maj > 0 || min > 2 || (min === 2 && pat >= 1);
const o = fixed ? { id, status: 'clean' } : { id, status: 'crash', title: 'KASAN: use-after-free Read in fake_wake_up' };
process.stdout.write(JSON.stringify({ outcomes: [o] }));
`;

interface Fake {
  name: string;
  version: string;
  step: number;
  deps?: Record<string, string>;
}

const FAKES: Fake[] = [
  { name: '@lockstep/kernel', version: '0.1.0', step: 0 },
  ...(
    [
      ['0.1.0', 0],
      ['0.1.1', 1],
      ['0.2.0', 2],
      ['0.2.1', 3],
      ['0.3.0', 4],
    ] as const
  ).map(([version, step]) => ({
    name: '@lockstep/lockd',
    version,
    step,
    deps: { '@lockstep/kernel': '^0.1.0' },
  })),
  ...(
    [
      ['0.1.0', 0, '^0.1.0'],
      ['0.1.1', 1, '^0.1.1'],
      ['0.1.2', 2, '^0.2.0'],
      ['0.1.3', 4, '^0.3.0'],
    ] as const
  ).map(([version, step, lockd]) => ({
    name: '@lockstep/machine',
    version,
    step,
    deps: { '@lockstep/kernel': '^0.1.0', '@lockstep/lockd': lockd },
  })),
  {
    name: '@lockstep/reproducers',
    version: '0.1.0',
    step: 0,
    deps: { '@lockstep/kernel': '^0.1.0', '@lockstep/machine': '^0.1.0' },
  },
];

let reg: RegistryHandle;

beforeAll(async () => {
  const dir = tempDir('lockstep-vbisect-');
  reg = await startEmbeddedRegistry({ dir: join(dir, 'registry'), publish: true });
  for (const f of FAKES) {
    const pkg = join(dir, 'pkgs', `${f.name.slice(10)}-${f.version}`);
    mkdirSync(pkg, { recursive: true });
    const json: Record<string, unknown> = {
      name: f.name,
      version: f.version,
      license: 'MIT',
      main: 'index.js',
      dependencies: f.deps ?? {},
      lockstep: {
        step: f.step,
        patch: f.step === 0 ? null : `demo/000${f.step}.patch`,
        subject: `step ${f.step}`,
      },
    };
    if (f.name === '@lockstep/reproducers') {
      json.bin = { 'lockstep-repro': 'cli.js' };
      write(pkg, 'cli.js', REPRO_CLI);
    }
    writeFileSync(join(pkg, 'package.json'), JSON.stringify(json));
    write(pkg, 'index.js', 'module.exports = {};\n');
    const r = await runProcess(
      'npm',
      ['publish', '--registry', reg.url, '--userconfig', reg.npmrc!],
      {
        cwd: pkg,
      },
    );
    if (r.code !== 0) throw new Error(r.stderr);
  }
}, HANG_GUARD_MS);

afterAll(async () => {
  await reg?.stop();
});

describe('lockstep bisect --package', () => {
  it(
    'finds the first version whose outcome changes and the step behind it, installing same-step companions',
    async () => {
      const lines: string[] = [];
      const r = await versionBisect({
        reproducer: 'fake-uaf',
        pkg: '@lockstep/lockd',
        good: '0.1.0',
        bad: '0.3.0',
        registry: reg.url,
        log: (l) => lines.push(l),
      });
      expect(r.candidates).toEqual(['0.1.0', '0.1.1', '0.2.0', '0.2.1', '0.3.0']);
      expect(r.before).toBe('KASAN: use-after-free Read in fake_wake_up');
      expect(r.after).toBe('clean');
      expect(r).toMatchObject({ firstVersion: '0.2.1', step: 3, patch: 'demo/0003.patch' });
      expect(r.probes.map((p) => [p.version, p.verdict])).toEqual([
        ['0.1.0', 'good'],
        ['0.3.0', 'bad'],
        ['0.2.0', 'good'],
        ['0.2.1', 'bad'],
      ]);
      // Step 3 published no machine: the one of step 2 goes with lockd 0.2.1, one copy of each.
      expect(r.probes[3]!.installed).toEqual({
        '@lockstep/kernel': '0.1.0',
        '@lockstep/lockd': '0.2.1',
        '@lockstep/machine': '0.1.2',
        '@lockstep/reproducers': '0.1.0',
      });
      expect(lines.some((l) => l.includes('npm install @lockstep/lockd@0.2.1'))).toBe(true);

      // The log replays without installing anything, and a shortened one installs only the rest.
      const full = await versionBisect({
        reproducer: 'fake-uaf',
        pkg: '@lockstep/lockd',
        registry: reg.url,
        replay: parseBisectLog(r.log, 'saved.log'),
      });
      expect(full.firstVersion).toBe('0.2.1');
      expect(full.probes.every((p) => p.replayed)).toBe(true);
      const short = r.log.replace(/^bad 0\.2\.1 .*\n/m, '');
      const part = await versionBisect({
        reproducer: 'fake-uaf',
        pkg: '@lockstep/lockd',
        registry: reg.url,
        replay: parseBisectLog(short, 'short.log'),
      });
      expect(part.firstVersion).toBe('0.2.1');
      expect(part.probes.map((p) => [p.version, p.replayed])).toEqual([
        ['0.1.0', true],
        ['0.3.0', true],
        ['0.2.0', true],
        ['0.2.1', false],
      ]);
    },
    HANG_GUARD_MS,
  );

  it(
    'refuses an install that would hold two copies of a package',
    async () => {
      const dir = tempDir('lockstep-sandbox-');
      await expect(
        installSandbox(dir, reg.url, '@lockstep', {
          install: { '@lockstep/lockd': '0.2.1', '@lockstep/machine': '0.1.3' },
          overrides: {},
        }),
      ).rejects.toThrow(/more than one copy/);
    },
    HANG_GUARD_MS,
  );

  it(
    'prints the log with --log, and reports unknown packages, versions and reproducers',
    async () => {
      const ws = await makeWorkspace();
      const base = ['bisect', 'fake-uaf', '--registry', reg.url];
      const ok = await cli(
        ws,
        ...base,
        '--package',
        '@lockstep/lockd',
        '--good',
        '0.2.0',
        '--bad',
        '0.3.0',
        '--log',
      );
      expect(ok.code, ok.err).toBe(0);
      expect(ok.out).toMatch(/^# lockstep bisect log/);
      expect(ok.out).toMatch(/^bad 0\.2\.1 {2}# step 3: clean$/m);
      expect(ok.out).toMatch(
        /^# first bad version: @lockstep\/lockd@0\.2\.1 \(step 3: demo\/0003\.patch\)$/m,
      );

      const saved = join(tempDir(), 'bisect.log');
      writeFileSync(saved, ok.out);
      const replayed = await cli(ws, ...base, '--replay', saved);
      expect(replayed.code, replayed.err).toBe(0);
      expect(replayed.out).toMatch(
        /first changed at @lockstep\/lockd@0\.2\.1, step 3: demo\/0003\.patch/,
      );

      const pkg = await cli(
        ws,
        ...base,
        '--package',
        '@lockstep/nope',
        '--good',
        '0.1.0',
        '--bad',
        '0.2.0',
      );
      expect(pkg.code).toBe(2);
      expect(pkg.err).toMatch(/^error: unknown package '@lockstep\/nope' in the registry/m);
      expect(pkg.err).toMatch(/packages there: .*@lockstep\/lockd/);

      const ver = await cli(
        ws,
        ...base,
        '--package',
        '@lockstep/lockd',
        '--good',
        '0.1.9',
        '--bad',
        '0.3.0',
      );
      expect(ver.code).toBe(2);
      expect(ver.err).toBe(
        "error: --good: @lockstep/lockd has no published version '0.1.9'\n  published versions: 0.1.0, 0.1.1, 0.2.0, 0.2.1, 0.3.0\n",
      );
      const order = await cli(
        ws,
        ...base,
        '--package',
        '@lockstep/lockd',
        '--good',
        '0.3.0',
        '--bad',
        '0.1.0',
      );
      expect(order.code).toBe(2);
      expect(order.err).toMatch(/--good must be an older version than --bad/);
      const stray = await cli(ws, 'bisect', 'fake-uaf', '--good', '0.1.0');
      expect(stray.code).toBe(2);
      expect(stray.err).toBe('error: --good bisect published versions: give --package too\n');
      const steps = await cli(
        ws,
        ...base,
        '--package',
        '@lockstep/lockd',
        '--good',
        '0.1.0',
        '--bad',
        '0.3.0',
        '--to',
        '2',
      );
      expect(steps.code).toBe(2);
      const repro = await cli(
        ws,
        'bisect',
        'nope',
        '--registry',
        reg.url,
        '--package',
        '@lockstep/lockd',
        '--good',
        '0.1.0',
        '--bad',
        '0.3.0',
      );
      expect(repro.code).toBe(2);
      expect(repro.err).toMatch(
        /^error: lockstep-repro does not know reproducer 'nope'\n {2}unknown reproducer 'nope'; valid ids: fake-uaf/m,
      );
    },
    HANG_GUARD_MS,
  );

  it('reads the logs it writes, and rejects lines it cannot read', () => {
    const log = parseBisectLog(
      '# reproducer: r\n# package: @s/p\n# good: 1.0.0\n# bad: 2.0.0\ngood 1.0.0  # step 0: boom\nbad 2.0.0\n',
      'x.log',
    );
    expect(log).toEqual({
      reproducer: 'r',
      package: '@s/p',
      good: '1.0.0',
      bad: '2.0.0',
      entries: [
        { verdict: 'good', version: '1.0.0', step: 0, outcome: 'boom' },
        { verdict: 'bad', version: '2.0.0', step: null, outcome: null },
      ],
    });
    expect(() => parseBisectLog('# nothing\nmaybe 1.0.0\n', 'x.log')).toThrow(
      /x\.log:2: not a bisect log line/,
    );
    expect(() => parseBisectLog('good 1.0.0\nbad 1.0.0\n', 'x.log')).toThrow(
      /marked both good and bad/,
    );
    expect(() => parseBisectLog('# only comments\n', 'x.log')).toThrow(/records no versions/);
  });
});
