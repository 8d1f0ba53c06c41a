/**
 * Which copies of the model packages a reproducer runs against. A user who installs
 * `@lockstep/lockd@x` next to `@lockstep/reproducers` could get a @lockstep/machine that needs
 * another lockd; npm then nests that lockd under machine, and the reproducer would silently
 * test the nested copy instead of x. machine now takes the model packages as peers, which
 * npm does not nest, but a project can still hold two copies (a lockd with its own nested
 * sunrpc, when the project pins another sunrpc). This finds shadowed copies so the CLI can
 * refuse.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The packages that machine runs the model on; each must be one copy, the project's own. */
export const MODEL_PACKAGES = [
  '@lockstep/kernel',
  '@lockstep/sunrpc',
  '@lockstep/lockd',
  '@lockstep/vfs-locks',
] as const;

interface Found {
  dir: string;
  version: string;
}

/** The package `name` as node resolves it from `fromDir`, or null when it is not there. */
function locate(name: string, fromDir: string): Found | null {
  try {
    const pkg = createRequire(join(fromDir, 'noop.js')).resolve(`${name}/package.json`);
    const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: string }).version;
    return { dir: realpathSync(dirname(pkg)), version: version ?? '?' };
  } catch {
    return null;
  }
}

/**
 * One line per model package that the project at `projectDir` has in one version while
 * @lockstep/machine (installed at `machineDir`) uses another copy. Empty when they agree.
 */
export function shadowedModelPackages(machineDir: string, projectDir: string): string[] {
  const problems: string[] = [];
  for (const name of MODEL_PACKAGES) {
    const mine = locate(name, projectDir);
    const machines = locate(name, machineDir);
    if (mine === null || machines === null || mine.dir === machines.dir) continue;
    problems.push(
      `${name}: the project has ${mine.version} (${mine.dir}) but @lockstep/machine runs on ` +
        `${machines.version} (${machines.dir})`,
    );
  }
  if (problems.length > 0) return problems;
  // The model packages machine runs on must share their copies too: a lockd with its own
  // nested sunrpc would run on another sunrpc than machine's.
  for (const user of MODEL_PACKAGES) {
    const at = locate(user, machineDir);
    if (at === null) continue;
    for (const name of MODEL_PACKAGES) {
      if (name === user) continue;
      const theirs = locate(name, at.dir);
      const machines = locate(name, machineDir);
      if (theirs === null || machines === null || theirs.dir === machines.dir) continue;
      problems.push(
        `${name}: @lockstep/machine runs on ${machines.version} (${machines.dir}) but ` +
          `${user}@${at.version} uses ${theirs.version} (${theirs.dir})`,
      );
    }
  }
  return problems;
}

/** Where @lockstep/machine is installed, as seen from `fromDir`, or null. */
export function machineDirFrom(fromDir: string): string | null {
  return locate('@lockstep/machine', fromDir)?.dir ?? null;
}
