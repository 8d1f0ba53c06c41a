#!/usr/bin/env node
// The workspace's `lockstep` command (the root package.json's bin, so `npx lockstep` works in
// a clone after `npm install`): npm links the bins of workspace packages into node_modules/.bin
// only when their files exist at install time, and packages/series/dist is built later. This
// builds the CLI once when it is missing, then runs it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'packages', 'series', 'dist', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('lockstep: building the CLI first (npm run build -w @lockstep/series)\n');
  const r = spawnSync('npm', ['run', 'build', '--silent', '-w', '@lockstep/series'], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (r.status !== 0 || !existsSync(cli)) {
    process.stderr.write('lockstep: the CLI did not build; run `npm run build` and try again\n');
    process.exit(1);
  }
}
await import(pathToFileURL(cli).href);
