import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { machineDirFrom, shadowedModelPackages } from '../src/installed.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake installed package: just its package.json. */
function pkg(dir: string, name: string, version: string): void {
  const d = join(dir, 'node_modules', ...name.split('/'));
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'package.json'), JSON.stringify({ name, version }));
}

function project(): string {
  const d = mkdtempSync(join(tmpdir(), 'lockstep-installed-'));
  dirs.push(d);
  return d;
}

describe('shadowed model packages', () => {
  it('reports a lockd that npm nested under machine, with both versions', () => {
    const p = project();
    pkg(p, '@lockstep/lockd', '0.2.0');
    pkg(p, '@lockstep/machine', '0.1.4');
    pkg(join(p, 'node_modules', '@lockstep', 'machine'), '@lockstep/lockd', '0.3.0');
    const machine = machineDirFrom(p)!;
    const problems = shadowedModelPackages(machine, p);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^@lockstep\/lockd: the project has 0\.2\.0 .* runs on 0\.3\.0/);
  });

  it('accepts one shared copy of every model package', () => {
    const p = project();
    pkg(p, '@lockstep/lockd', '0.2.0');
    pkg(p, '@lockstep/kernel', '0.1.0');
    pkg(p, '@lockstep/machine', '0.1.3');
    expect(shadowedModelPackages(machineDirFrom(p)!, p)).toEqual([]);
  });

  it('reports a model package that another model package has its own copy of', () => {
    const p = project();
    pkg(p, '@lockstep/lockd', '0.3.0');
    pkg(p, '@lockstep/sunrpc', '0.1.0');
    pkg(p, '@lockstep/machine', '0.1.0');
    pkg(join(p, 'node_modules', '@lockstep', 'lockd'), '@lockstep/sunrpc', '0.3.0');
    const problems = shadowedModelPackages(machineDirFrom(p)!, p);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^@lockstep\/sunrpc: @lockstep\/machine runs on 0\.1\.0 .* but @lockstep\/lockd@0\.3\.0 uses 0\.3\.0/,
    );
  });

  it('finds no machine where none is installed', () => {
    expect(machineDirFrom(project())).toBeNull();
  });
});
