import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { git } from '../src/lib/git.js';
import { run } from '../src/program.js';

/**
 * The one wall-clock limit a series test may set: a guard against a hung child process (npm,
 * turbo, git, a registry; runProcess has no timeout of its own), so that a stuck run fails
 * instead of hanging the suite forever. An hour is far beyond what any of these tests takes
 * on a busy 2-core machine, so load cannot trip it; vitest itself sets no limit (see
 * NO_WALL_CLOCK_LIMITS in vitest.shared.ts).
 */
export const HANG_GUARD_MS = 60 * 60_000;

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
export const PATCH1 = 'demo/0001-alpha-punctuate-the-greeting.patch';
export const PATCH2 = 'demo/0002-alpha-count-two-and-trail-off-when-whispering.patch';

/** The base of the demo package; the fixture patches apply to exactly this text. */
export const ALPHA_INDEX = `// alpha: a tiny package for the lockstep series tests.
export const name = 'alpha';

export function greet(who: string): string {
  return 'hello ' + who;
}

export function count(): number {
  return 1;
}

export function shout(who: string): string {
  return greet(who).toUpperCase();
}

export function whisper(who: string): string {
  return greet(who).toLowerCase();
}
`;

/** The entries of the demo series file: relative to patches/demo/. */
export const ENTRY1 = PATCH1.slice('demo/'.length);
export const ENTRY2 = PATCH2.slice('demo/'.length);

/** The header lines every test series file starts with. */
export const DEMO_HEADER = `# Title: The demo series
# Base: demo 0.1
# Packages: @demo/alpha
`;

/** A demo series file listing `entries` (relative to patches/demo/) after the header. */
export function demoSeries(...entries: string[]): string {
  return `${DEMO_HEADER}${entries.map((e) => `${e}\n`).join('')}`;
}

export const SERIES_TEXT = `${DEMO_HEADER}# The demo series: two small patches to @demo/alpha.
${ENTRY1}

# the second one
${ENTRY2}
`;

const CHANGESET_CONFIG = `{
  "changelog": false,
  "commit": false,
  "fixed": [],
  "linked": [],
  "access": "restricted",
  "baseBranch": "main",
  "updateInternalDependencies": "patch",
  "ignore": []
}
`;

const made: string[] = [];

/** A fresh temporary directory, removed by cleanup(). */
export function tempDir(prefix = 'lockstep-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export function cleanup(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function write(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

export interface WorkspaceOptions {
  /** Make the workspace a git work tree with its files added (default true). */
  git?: boolean;
  /** Extra files, path -> text, written before git add. */
  files?: Record<string, string>;
}

/**
 * A tiny workspace: one package (@demo/alpha) and a two-patch series from test/fixtures/demo,
 * git-initialised with .lockstep/ ignored, like the real one.
 */
export async function makeWorkspace(opts: WorkspaceOptions = {}): Promise<string> {
  const root = tempDir('lockstep-ws-');
  write(
    root,
    'package.json',
    '{\n  "name": "demo",\n  "private": true,\n  "workspaces": ["packages/*"]\n}\n',
  );
  write(
    root,
    'packages/alpha/package.json',
    '{\n  "name": "@demo/alpha",\n  "version": "0.1.0"\n}\n',
  );
  write(root, 'packages/alpha/src/index.ts', ALPHA_INDEX);
  write(root, '.changeset/config.json', CHANGESET_CONFIG);
  write(root, '.gitignore', 'node_modules/\ndist/\n.lockstep/\n');
  write(root, 'patches/demo/series', SERIES_TEXT);
  mkdirSync(join(root, 'patches/demo'), { recursive: true });
  for (const f of readdirSync(join(FIXTURES, 'demo'))) {
    copyFileSync(join(FIXTURES, 'demo', f), join(root, 'patches/demo', f));
  }
  for (const [path, text] of Object.entries(opts.files ?? {})) write(root, path, text);
  if (opts.git !== false) {
    await git(['init', '--quiet'], { cwd: root });
    await git(['add', '--all'], { cwd: root });
  }
  return root;
}

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Run the CLI in-process with `cwd`, capturing its output. */
export async function cli(cwd: string, ...argv: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await run(argv, {
    cwd,
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}

/** A format-patch style mail around `diff`, for patches the tests write by hand. */
export function mailPatch(subject: string, diff: string): string {
  return `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Eve Example <eve@example.org>
Date: Thu, 7 Feb 2008 09:00:00 +0000
Subject: [PATCH] ${subject}

A patch written for a test.

Signed-off-by: Eve Example <eve@example.org>
---
${diff}`;
}

/** Fixed identities and dates for commits the tests make in a tree. */
export const TEST_COMMIT_ENV = {
  GIT_AUTHOR_NAME: 'Cy Example',
  GIT_AUTHOR_EMAIL: 'cy@example.org',
  GIT_AUTHOR_DATE: 'Fri, 8 Feb 2008 12:00:00 +0000',
  GIT_COMMITTER_NAME: 'Cy Example',
  GIT_COMMITTER_EMAIL: 'cy@example.org',
  GIT_COMMITTER_DATE: 'Fri, 8 Feb 2008 12:00:00 +0000',
};
