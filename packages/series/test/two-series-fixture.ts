/**
 * A small workspace with two series that patch the same package, like the lockd series as
 * posted and as merged: stand-ins for @lockstep/kernel (shared), @lockstep/lockd (patched by
 * both), @lockstep/machine (lockd's runtime dependent, through a peer) and
 * @lockstep/reproducers (whose lockstep-repro "crashes" until lockd's bug is fixed). Series
 * `fix-late` fixes the bug in its second patch, `fix-early` in its first.
 */
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../src/lib/git.js';
import { tempDir, write } from './helpers.js';
import {
  BUILD,
  CHANGESET_CONFIG,
  changeset,
  commit,
  formatPatch,
  lockAndCommitBase,
  pkgJson,
  ROOT_DEV,
} from './release-fixture.js';

export const REPRO = 'fake-bug';
export const BUG_TITLE = 'KASAN: use-after-free Read in fake_wake_up';

/** lockstep-repro of the stand-in reproducers: reads the lockd next to machine. */
const REPRO_CLI = `#!/usr/bin/env node
const { dirname } = require('node:path');
const machine = dirname(dirname(require.resolve('@lockstep/machine')));
const lockd = require(require.resolve('@lockstep/lockd', { paths: [machine] }));
const [id] = process.argv.slice(2);
if (id !== '${REPRO}') {
  process.stderr.write("lockstep-repro: unknown reproducer '" + id + "'; valid ids: ${REPRO}\\n");
  process.exit(2);
}
const o = lockd.fixed ? { id, status: 'clean' } : { id, status: 'crash', title: '${BUG_TITLE}' };
process.stdout.write(JSON.stringify({ outcomes: [o] }));
`;

/** Dual ESM and CommonJS sources with their types, from `name -> [js body, d.ts]`. */
function sources(imports: string, parts: Record<string, [string, string]>): Record<string, string> {
  const esm = Object.entries(parts)
    .map(([n, [body]]) => `export ${body.replace('NAME', n)}\n`)
    .join('');
  const cjs = Object.entries(parts)
    .map(([n, [body]]) => `${body.replace('NAME', n)}\nexports.${n} = ${n};\n`)
    .join('');
  const dts = Object.values(parts)
    .map(([, d]) => `${d}\n`)
    .join('');
  return {
    'index.js': `${imports ? `import { kernel } from '@lockstep/kernel';\n` : ''}${esm}`,
    'index.cjs': `${imports ? `const { kernel } = require('@lockstep/kernel');\n` : ''}${cjs}`,
    'index.d.ts': dts,
    'index.d.cts': dts,
  };
}

function lockdFiles(fixed: boolean, hello: boolean): Record<string, string> {
  return sources('kernel', {
    fixed: [`const NAME = ${fixed};`, 'export declare const fixed: boolean;'],
    lockd: ['function NAME() {\n  return kernel();\n}', 'export declare function lockd(): string;'],
    ...(hello
      ? {
          hello: [
            "function NAME() {\n  return 'hello';\n}",
            'export declare function hello(): string;',
          ] as [string, string],
        }
      : {}),
  });
}

function writeSrc(root: string, pkg: string, files: Record<string, string>): void {
  for (const [f, text] of Object.entries(files)) write(root, `packages/${pkg}/src/${f}`, text);
}

function withFields(json: string, fields: Record<string, unknown>): string {
  return `${JSON.stringify({ ...JSON.parse(json), ...fields }, null, 2)}\n`;
}

/** The series' patches: each a commit on the base, written as a format-patch file. */
async function writeSeries(
  root: string,
  out: string,
  name: string,
  line: number,
  steps: { subject: string; fixed: boolean; hello: boolean; bump: string }[],
): Promise<void> {
  mkdirSync(join(out, name), { recursive: true });
  const entries: string[] = [];
  for (const [i, s] of steps.entries()) {
    writeSrc(root, 'lockd', lockdFiles(s.fixed, s.hello));
    write(
      root,
      `.changeset/${name}-${i + 1}.md`,
      changeset({ '@lockstep/lockd': s.bump }, `${s.subject}.`),
    );
    await commit(root, s.subject, `2008-02-0${i + 2}T10:00:00Z`);
    const entry = `000${i + 1}-${s.subject.replace(/\W+/g, '-')}.patch`;
    await formatPatch(root, 'HEAD', join(out, name), entry);
    entries.push(entry);
  }
  write(
    out,
    `${name}/series`,
    `# Title: lockd, ${name}\n# Base: demo 0.1\n# Packages: @lockstep/lockd\n# Version-line: ${line}\n${entries.join('\n')}\n`,
  );
  await git(['reset', '--quiet', '--hard', `HEAD~${steps.length}`], { cwd: root });
}

/** The workspace: base committed, patches/fix-late and patches/fix-early added (not committed). */
export async function makeTwoSeriesWorkspace(): Promise<string> {
  const root = tempDir('lockstep-two-series-');
  write(
    root,
    'package.json',
    `${JSON.stringify(
      {
        name: 'demo-two-series',
        private: true,
        workspaces: ['packages/*'],
        packageManager: 'npm@11.19.1',
        devDependencies: {
          '@changesets/cli': ROOT_DEV['@changesets/cli'],
          turbo: ROOT_DEV.turbo,
        },
      },
      null,
      2,
    )}\n`,
  );
  write(
    root,
    'turbo.json',
    '{\n  "tasks": {\n    "build": { "dependsOn": ["^build"], "outputs": ["dist/**"] }\n  }\n}\n',
  );
  // As the real workspace: a peer that stays in range does not bump its dependent.
  const config = JSON.parse(CHANGESET_CONFIG);
  config.___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH = {
    onlyUpdatePeerDependentsWhenOutOfRange: true,
  };
  write(root, '.changeset/config.json', `${JSON.stringify(config, null, 2)}\n`);
  write(root, '.gitignore', 'node_modules/\ndist/\n.lockstep/\n.turbo/\n.out/\n');

  write(root, 'packages/kernel/package.json', pkgJson('@lockstep/kernel'));
  writeSrc(
    root,
    'kernel',
    sources('', {
      kernel: [
        "function NAME() {\n  return 'kernel';\n}",
        'export declare function kernel(): string;',
      ],
    }),
  );
  write(
    root,
    'packages/lockd/package.json',
    pkgJson('@lockstep/lockd', { '@lockstep/kernel': '^0.1.0' }),
  );
  writeSrc(root, 'lockd', lockdFiles(false, false));
  const peers = (p: Record<string, string>) => ({ peerDependencies: p });
  write(
    root,
    'packages/machine/package.json',
    withFields(
      pkgJson('@lockstep/machine'),
      peers({ '@lockstep/kernel': '^0.1.0', '@lockstep/lockd': '>=0.1.0 <1.0.0' }),
    ),
  );
  writeSrc(
    root,
    'machine',
    sources('', {
      machine: [
        "function NAME() {\n  return 'machine';\n}",
        'export declare function machine(): string;',
      ],
    }),
  );
  write(
    root,
    'packages/reproducers/package.json',
    withFields(pkgJson('@lockstep/reproducers'), {
      bin: { 'lockstep-repro': 'cli.cjs' },
      files: ['dist', 'cli.cjs'],
      ...peers({ '@lockstep/kernel': '^0.1.0', '@lockstep/machine': '^0.1.0' }),
    }),
  );
  write(root, 'packages/reproducers/cli.cjs', REPRO_CLI);
  writeSrc(
    root,
    'reproducers',
    sources('', {
      reproducers: [
        `function NAME() {\n  return ['${REPRO}'];\n}`,
        'export declare function reproducers(): string[];',
      ],
    }),
  );
  for (const p of ['kernel', 'lockd', 'machine', 'reproducers'])
    write(root, `packages/${p}/build.mjs`, BUILD);
  await lockAndCommitBase(root);

  const out = tempDir('lockstep-two-series-patches-');
  const hello = 'lockd: say hello';
  const fix = 'lockd: fix the use-after-free';
  await writeSeries(root, out, 'fix-late', 1, [
    { subject: hello, fixed: false, hello: true, bump: 'patch' },
    { subject: fix, fixed: true, hello: true, bump: 'minor' },
  ]);
  await writeSeries(root, out, 'fix-early', 2, [
    { subject: fix, fixed: true, hello: false, bump: 'minor' },
    { subject: hello, fixed: true, hello: true, bump: 'patch' },
  ]);
  cpSync(out, join(root, 'patches'), { recursive: true });
  await git(['add', '--all'], { cwd: root });
  return root;
}
