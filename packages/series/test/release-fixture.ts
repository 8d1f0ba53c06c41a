/**
 * A small series to release: @demo/alpha and @demo/beta (which imports from alpha), built by a
 * copy script instead of tsup, with two patches. Patch 2 exists in two forms: one whose
 * changeset bumps only beta although beta starts importing a name alpha exports from that
 * patch on (the range ^0.2.0 then admits an alpha without it), and a fixed one that bumps both.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../src/lib/git.js';
import { runProcess } from '../src/lib/proc.js';
import { tempDir, write } from './helpers.js';

export const ROOT_DEV = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8'),
).devDependencies as Record<string, string>;

export const BUILD = `import { copyFileSync, mkdirSync } from 'node:fs';
mkdirSync('dist', { recursive: true });
for (const f of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) copyFileSync(\`src/\${f}\`, \`dist/\${f}\`);
`;

export function pkgJson(name: string, deps: Record<string, string> = {}): string {
  return `${JSON.stringify(
    {
      name,
      version: '0.1.0',
      description: `${name}, a package of the release tests`,
      license: 'MIT',
      type: 'module',
      main: './dist/index.cjs',
      types: './dist/index.d.cts',
      exports: {
        '.': {
          import: { types: './dist/index.d.ts', default: './dist/index.js' },
          require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
        },
      },
      files: ['dist'],
      sideEffects: false,
      scripts: { build: 'node build.mjs' },
      ...(Object.keys(deps).length > 0 ? { dependencies: deps } : {}),
    },
    null,
    2,
  )}\n`;
}

/** A package's sources, ESM and CommonJS with their types (dual, as attw's strict profile wants). */
function alphaFiles(names: string[]): Record<string, string> {
  const body = (n: string) => `(who) {\n  return '${n} ' + who;\n}\n`;
  const dts = names.map((n) => `export declare function ${n}(who: string): string;\n`).join('');
  return {
    'index.js': names.map((n) => `export function ${n}${body(n)}`).join(''),
    'index.cjs': names.map((n) => `exports.${n} = function ${n}${body(n)}`).join(''),
    'index.d.ts': dts,
    'index.d.cts': dts,
  };
}

function betaFiles(use: string): Record<string, string> {
  const dts = 'export declare function hello(): string;\n';
  const fn = `function hello() {\n  return ${use}('beta');\n}\n`;
  return {
    'index.js': `import { ${use} } from '@demo/alpha';\nexport ${fn}`,
    'index.cjs': `const { ${use} } = require('@demo/alpha');\nexports.hello = ${fn}`,
    'index.d.ts': dts,
    'index.d.cts': dts,
  };
}

function writeSrc(root: string, pkg: string, files: Record<string, string>): void {
  for (const [f, text] of Object.entries(files)) write(root, `packages/${pkg}/src/${f}`, text);
}

export const CHANGESET_CONFIG = `{
  "changelog": false,
  "commit": false,
  "fixed": [],
  "linked": [],
  "access": "public",
  "baseBranch": "main",
  "updateInternalDependencies": "patch",
  "ignore": []
}
`;

export const changeset = (bumps: Record<string, string>, text: string) =>
  `---\n${Object.entries(bumps)
    .map(([n, t]) => `'${n}': ${t}`)
    .join('\n')}\n---\n\n${text}\n`;

const IDENT = {
  GIT_AUTHOR_NAME: 'Ada Example',
  GIT_AUTHOR_EMAIL: 'ada@example.org',
  GIT_COMMITTER_NAME: 'Ada Example',
  GIT_COMMITTER_EMAIL: 'ada@example.org',
};

export async function commit(root: string, subject: string, date: string): Promise<void> {
  await git(['add', '--all'], { cwd: root });
  await git(
    [
      'commit',
      '--quiet',
      '-m',
      subject,
      '-m',
      `${subject}.\n\nSigned-off-by: Ada Example <ada@example.org>`,
    ],
    {
      cwd: root,
      env: { ...IDENT, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    },
  );
}

export async function formatPatch(
  root: string,
  rev: string,
  into: string,
  name: string,
): Promise<void> {
  const out = join(root, '.out');
  await git(['format-patch', '--quiet', '--no-signature', '--zero-commit', '-o', out, '-1', rev], {
    cwd: root,
  });
  const [file] = readdirSync(out);
  renameSync(join(out, file!), join(into, name));
}

/** Write the fixture's package-lock.json (no install) and commit the tree as its base. */
export async function lockAndCommitBase(root: string): Promise<void> {
  const lock = await runProcess(
    'npm',
    [
      'install',
      '--package-lock-only',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
    ],
    { cwd: root },
  );
  if (lock.code !== 0) throw new Error(`npm install --package-lock-only failed: ${lock.stderr}`);
  await git(['init', '--quiet'], { cwd: root });
  await commit(root, 'base', '2008-02-01T10:00:00Z');
}

export const P1 = 'demo/0001-alpha-add-shout.patch';
export const P2_BAD = 'demo/0002-beta-whisper-without-an-alpha-bump.patch';
export const P2_GOOD = 'demo/0002-beta-whisper.patch';

/** The header of the fixture's series file (patches/demo/series). */
export const RELEASE_HEADER = `# Title: The release fixture
# Base: demo 0.1
# Packages: @demo/alpha @demo/beta
`;

/** The series file listing patches (names relative to patches/, as P1 and friends). */
export const releaseSeries = (...patches: string[]) =>
  `${RELEASE_HEADER}${patches.map((p) => `${p.replace(/^demo\//, '')}\n`).join('')}`;

/** The workspace, with patches/demo/series listing patch 1 and the unbumped patch 2. */
export async function makeReleaseWorkspace(): Promise<string> {
  const root = tempDir('lockstep-release-ws-');
  write(
    root,
    'package.json',
    `${JSON.stringify(
      {
        name: 'demo-release',
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
  write(root, '.changeset/config.json', CHANGESET_CONFIG);
  write(root, '.gitignore', 'node_modules/\ndist/\n.lockstep/\n.turbo/\n.out/\n');
  write(root, 'packages/alpha/package.json', pkgJson('@demo/alpha'));
  write(root, 'packages/alpha/build.mjs', BUILD);
  writeSrc(root, 'alpha', alphaFiles(['greet']));
  write(root, 'packages/beta/package.json', pkgJson('@demo/beta', { '@demo/alpha': '^0.1.0' }));
  write(root, 'packages/beta/build.mjs', BUILD);
  writeSrc(root, 'beta', betaFiles('greet'));
  await lockAndCommitBase(root);

  // Patch files are written outside the repository until the end, so no commit picks them up.
  const patches = tempDir('lockstep-release-patches-');
  mkdirSync(join(patches, 'demo'));
  writeSrc(root, 'alpha', alphaFiles(['greet', 'shout']));
  write(
    root,
    '.changeset/alpha-shout.md',
    changeset({ '@demo/alpha': 'minor' }, 'alpha exports shout().'),
  );
  await commit(root, 'alpha: add shout', '2008-02-02T10:00:00Z');
  await formatPatch(root, 'HEAD', patches, P1);

  const whisper = async (bumps: Record<string, string>, subject: string, name: string) => {
    writeSrc(root, 'alpha', alphaFiles(['greet', 'shout', 'whisper']));
    writeSrc(root, 'beta', betaFiles('whisper'));
    write(
      root,
      '.changeset/beta-whisper.md',
      changeset(bumps, 'beta whispers (alpha exports whisper()).'),
    );
    await commit(root, subject, '2008-02-03T10:00:00Z');
    await formatPatch(root, 'HEAD', patches, name);
    await git(['reset', '--quiet', '--hard', 'HEAD~1'], { cwd: root });
  };
  await whisper({ '@demo/beta': 'patch' }, 'beta: whisper without an alpha bump', P2_BAD);
  await whisper({ '@demo/alpha': 'minor', '@demo/beta': 'patch' }, 'beta: whisper', P2_GOOD);
  await git(['reset', '--quiet', '--hard', 'HEAD~1'], { cwd: root });
  cpSync(patches, join(root, 'patches'), { recursive: true });
  write(root, 'patches/demo/series', releaseSeries(P1, P2_BAD));
  await git(['add', '--all'], { cwd: root });
  return root;
}
