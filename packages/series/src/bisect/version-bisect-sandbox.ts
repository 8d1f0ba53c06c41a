import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SeriesFailure, SeriesUsageError } from '../lib/errors.js';
import { runProcess, tail } from '../lib/proc.js';
import type { ReproOutcome } from '../lib/reproducers.js';

/**
 * What npm exec and npm run hand their children that would steer the sandbox's own npm and
 * npx: under `npx -p @lockstep/series lockstep ...`, npm_config_package would make the
 * sandbox's `npx lockstep-repro` look for lockstep-repro in @lockstep/series.
 */
const SANDBOX_ENV: Record<string, undefined> = Object.fromEntries(
  [
    'npm_config_package',
    'npm_config_call',
    'npm_config_yes',
    'npm_config_local_prefix',
    'npm_command',
    'npm_lifecycle_event',
    'npm_lifecycle_script',
    'npm_package_json',
  ].map((k) => [k, undefined]),
);

/** What a sandbox installs: packages by exact version, and npm overrides for the rest. */
export interface SandboxPlan {
  install: Record<string, string>;
  overrides: Record<string, string>;
}

/** Every copy of every package of `scope` under `dir`/node_modules, nested ones included. */
export function scopeCopies(dir: string, scope: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (nm: string) => {
    if (!existsSync(nm)) return;
    for (const entry of readdirSync(nm)) {
      if (entry.startsWith('.')) continue;
      const names = entry.startsWith('@')
        ? readdirSync(join(nm, entry)).map((n) => `${entry}/${n}`)
        : [entry];
      for (const name of names) {
        const at = join(nm, name);
        if (name.startsWith(`${scope}/`)) {
          const version = JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')).version;
          out.set(name, [...(out.get(name) ?? []), `${at.slice(dir.length + 1)}@${version}`]);
        }
        walk(join(at, 'node_modules'));
      }
    }
  };
  walk(join(dir, 'node_modules'));
  return out;
}

/**
 * Install a plan into `dir` (a fresh directory) as a user would: a package.json holding only
 * the overrides, an .npmrc sending `scope` to the registry (everything else goes where the
 * user's npm goes), then `npm install --save-exact name@version ...`. Returns the installed
 * version of every package of the scope, after checking there is exactly one copy of each (the
 * kernel keeps `current` and `jiffies` as module state: two copies would be two kernels).
 */
export async function installSandbox(
  dir: string,
  registry: string,
  scope: string,
  plan: SandboxPlan,
): Promise<Record<string, string>> {
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify(
      {
        name: 'lockstep-bisect-sandbox',
        version: '0.0.0',
        private: true,
        overrides: plan.overrides,
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(
    join(dir, '.npmrc'),
    [
      `${scope}:registry=${registry}`,
      'audit=false',
      'fund=false',
      'update-notifier=false',
      'prefer-online=true',
      '',
    ].join('\n'),
  );
  const specs = Object.entries(plan.install).map(([n, v]) => `${n}@${v}`);
  const r = await runProcess(
    'npm',
    ['install', '--save-exact', '--no-audit', '--no-fund', '--loglevel=error', ...specs],
    { cwd: dir, env: SANDBOX_ENV },
  );
  if (r.code !== 0)
    throw new SeriesFailure(
      `npm install ${specs.join(' ')} failed in ${dir} (exit ${r.code})`,
      tail(r.stderr + r.stdout, 12),
    );
  const copies = scopeCopies(dir, scope);
  const doubled = [...copies].filter(([, at]) => at.length > 1);
  if (doubled.length > 0)
    throw new SeriesFailure(
      `npm install ${specs.join(' ')} put more than one copy of a package in the sandbox`,
      doubled.map(([n, at]) => `${n}: ${at.join(', ')}`),
    );
  return Object.fromEntries(
    [...copies].map(([n, [at]]) => [n, at!.slice(at!.lastIndexOf('@') + 1)]).sort(),
  );
}

/** `npx lockstep-repro <id> --json` in the sandbox: its one outcome. */
export async function runSandboxReproducer(dir: string, id: string): Promise<ReproOutcome> {
  const r = await runProcess('npx', ['--no', 'lockstep-repro', id, '--json'], {
    cwd: dir,
    env: SANDBOX_ENV,
  });
  if (r.code === 2)
    throw new SeriesUsageError(
      `lockstep-repro does not know reproducer '${id}'`,
      r.stderr
        .split('\n')
        .filter((l) => l.startsWith('lockstep-repro: '))
        .map((l) => l.slice('lockstep-repro: '.length)),
    );
  if (r.code !== 0)
    throw new SeriesFailure(
      `npx lockstep-repro ${id} failed in ${dir} (exit ${r.code})`,
      tail(r.stderr + r.stdout),
    );
  let outcomes: ReproOutcome[];
  try {
    outcomes = (JSON.parse(r.stdout) as { outcomes: ReproOutcome[] }).outcomes;
  } catch {
    throw new SeriesFailure(`npx lockstep-repro ${id} did not print JSON`, tail(r.stdout));
  }
  const o = outcomes.find((x) => x.id === id);
  if (o === undefined) throw new SeriesFailure(`lockstep-repro printed no outcome for ${id}`);
  return o;
}
