import { afterEach, describe, expect, it } from 'vitest';
import {
  checkDependencies,
  type DependencyView,
  runAttw,
  runPublint,
} from '../src/release/checks.js';
import { moduleExports, moduleImports } from '../src/release/symbols.js';
import { cleanup, HANG_GUARD_MS, tempDir, write } from './helpers.js';

afterEach(cleanup);

/** A package directory with package.json and dist files. */
function pkg(json: Record<string, unknown>, files: Record<string, string>): string {
  const dir = tempDir('lockstep-check-');
  write(dir, 'package.json', `${JSON.stringify({ license: 'MIT', ...json }, null, 2)}\n`);
  for (const [f, t] of Object.entries(files)) write(dir, f, t);
  return dir;
}

describe('the names a bundle imports and exports', () => {
  it('reads tsup-style import and export statements', () => {
    const text = `// src/svc.ts
import {
  a,
  b as b2
} from "@lockstep/kernel";
import { c } from "@lockstep/sunrpc";
import * as whole from "@lockstep/vfs-locks";
import def from "@lockstep/machine";
export { x as y } from "@lockstep/lockd";
function f() {}
export {
  f,
  g as h
};
export const k = 1;
`;
    const i = moduleImports(text);
    expect(Object.fromEntries([...i.named].map(([s, n]) => [s, [...n].sort()]))).toEqual({
      '@lockstep/kernel': ['a', 'b'],
      '@lockstep/sunrpc': ['c'],
      '@lockstep/lockd': ['x'],
    });
    expect([...i.whole].sort()).toEqual(['@lockstep/machine', '@lockstep/vfs-locks']);
    const e = moduleExports(text);
    expect([...e.names].sort()).toEqual(['f', 'h', 'k', 'y']);
    expect(moduleExports('export * from "./x.js";').star).toEqual(['./x.js']);
  });
});

describe('dependency ranges against what a package imports', () => {
  const lockd = () =>
    pkg(
      { name: '@demo/lockd', version: '0.2.0' },
      { 'dist/index.js': 'import { svc_prepare_thread, svc_create } from "@demo/sunrpc";\n' },
    );
  const sunrpc = (current: string): DependencyView => ({
    current,
    versions: ['0.1.0', '0.2.0', '0.3.0'],
    exportsOf: async (v) => (v === '0.1.0' ? ['svc_create'] : ['svc_create', 'svc_prepare_thread']),
  });

  it('accepts a range whose lowest version exports every imported name', async () => {
    const r = await checkDependencies(
      lockd(),
      { name: '@demo/lockd', dependencies: { '@demo/sunrpc': '^0.3.0' } },
      new Map([['@demo/sunrpc', sunrpc('0.3.0')]]),
    );
    expect(r).toEqual({ ok: true, problems: [], notes: [] });
  });

  it('rejects a range that admits a version without an imported name, or excludes the built one', async () => {
    const r = await checkDependencies(
      lockd(),
      { name: '@demo/lockd', dependencies: { '@demo/sunrpc': '^0.1.0' } },
      new Map([['@demo/sunrpc', sunrpc('0.3.0')]]),
    );
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      "dependencies.@demo/sunrpc is '^0.1.0', which does not accept @demo/sunrpc@0.3.0, the version @demo/lockd was built against",
      "dependencies.@demo/sunrpc is '^0.1.0', which accepts @demo/sunrpc@0.1.0, but that version does not export svc_prepare_thread (used by @demo/lockd)",
    ]);
  });
});

describe('publint and attw', () => {
  const dual = {
    name: '@demo/dual',
    version: '1.0.0',
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
  };
  const files = {
    'dist/index.js': 'export const a = 1;\n',
    'dist/index.cjs': 'exports.a = 1;\n',
    'dist/index.d.ts': 'export declare const a: number;\n',
    'dist/index.d.cts': 'export declare const a: number;\n',
  };

  it(
    'pass a well-formed dual package',
    async () => {
      const dir = pkg(dual, files);
      expect(await runPublint(dir)).toEqual({ ok: true, problems: [] });
      expect(await runAttw(dir)).toEqual({ ok: true, problems: [] });
    },
    HANG_GUARD_MS,
  );

  it(
    'fail a package whose files are missing or whose types lie',
    async () => {
      const missing = pkg({ ...dual, main: './dist/main.cjs' }, files);
      const p = await runPublint(missing);
      expect(p.ok).toBe(false);
      expect(p.problems.join('\n')).toMatch(/FILE_DOES_NOT_EXIST/);
      // ESM types for a CommonJS file: attw's FalseESM.
      const lying = pkg(
        {
          ...dual,
          exports: {
            '.': {
              types: './dist/index.d.ts',
              import: './dist/index.js',
              require: './dist/index.cjs',
            },
          },
        },
        files,
      );
      const a = await runAttw(lying);
      expect(a.ok).toBe(false);
      expect(a.problems.join('\n')).toMatch(/FalseESM/);
    },
    HANG_GUARD_MS,
  );
});
