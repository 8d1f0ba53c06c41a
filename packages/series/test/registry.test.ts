import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runProcess } from '../src/lib/proc.js';
import { type RegistryHandle, startEmbeddedRegistry } from '../src/lib/registry.js';
import { fetchPackument, normaliseRegistryUrl, pingRegistry } from '../src/lib/registry-client.js';
import { serveRegistry } from '../src/registry/command.js';
import { cleanup, HANG_GUARD_MS, tempDir, write } from './helpers.js';

afterEach(cleanup);

function minimalPackage(dir: string, version: string, extra: object = {}): void {
  write(
    dir,
    'package.json',
    `${JSON.stringify({ name: '@demo/tiny', version, main: 'index.js', license: 'MIT', ...extra })}\n`,
  );
  write(dir, 'index.js', 'module.exports = 1;\n');
}

/** npm publish `pkg` to an embedded registry started with publish: true, as lockstep does. */
async function publishWith(reg: RegistryHandle, pkg: string): Promise<void> {
  const r = await runProcess(
    'npm',
    ['publish', '--registry', reg.url, '--userconfig', reg.npmrc!],
    {
      cwd: pkg,
    },
  );
  expect(r.code, r.stderr).toBe(0);
}

/** A registry holding @demo/tiny versions stamped with the steps that published them. */
async function stampedRegistry(versions: [string, number][]): Promise<string> {
  const dir = tempDir('lockstep-registry-');
  const reg = await startEmbeddedRegistry({ dir, publish: true });
  try {
    for (const [version, step] of versions) {
      const pkg = join(dir, `pkg-${version}`);
      minimalPackage(pkg, version, { lockstep: { step, patch: null, subject: `s${step}` } });
      await publishWith(reg, pkg);
    }
  } finally {
    await reg.stop();
  }
  return dir;
}

describe('the embedded registry', () => {
  it(
    'serves reads anonymously, refuses anonymous publishes and registrations, accepts lockstep',
    async () => {
      const dir = tempDir('lockstep-registry-');
      const reg = await startEmbeddedRegistry({ dir, publish: true });
      try {
        expect(reg.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
        await pingRegistry(reg.url);
        // Nobody can register a user.
        const register = await fetch(`${reg.url}-/user/org.couchdb.user:mallory`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'mallory', password: 'correct horse battery' }),
        });
        expect(register.ok).toBe(false);
        // An anonymous publish is refused by the server (not just by the npm client).
        const anon = await fetch(`${reg.url}@demo%2ftiny`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: '@demo/tiny', versions: {} }),
        });
        expect([401, 403]).toContain(anon.status);

        const pkg = join(dir, 'pkg');
        minimalPackage(pkg, '1.0.0');
        const empty = join(dir, 'empty.npmrc');
        writeFileSync(empty, '');
        const denied = await runProcess(
          'npm',
          ['publish', '--registry', reg.url, '--userconfig', empty],
          { cwd: pkg },
        );
        expect(denied.code).not.toBe(0);
        expect(await fetchPackument(reg.url, '@demo/tiny')).toBeNull();

        expect(readFileSync(reg.npmrc!, 'utf8')).toMatch(/_authToken=/);
        const ok = await runProcess(
          'npm',
          ['publish', '--registry', reg.url, '--userconfig', reg.npmrc!, '--access', 'public'],
          { cwd: pkg },
        );
        expect(ok.code, ok.stderr).toBe(0);
        const doc = await fetchPackument(reg.url, '@demo/tiny');
        expect(Object.keys(doc!.versions)).toEqual(['1.0.0']);
      } finally {
        await reg.stop();
      }
      await expect(pingRegistry(reg.url)).rejects.toThrow(/is not reachable/);
    },
    HANG_GUARD_MS,
  );

  it(
    'keeps what was published across restarts',
    async () => {
      const dir = tempDir('lockstep-registry-');
      const first = await startEmbeddedRegistry({ dir, publish: true });
      const pkg = join(dir, 'pkg');
      minimalPackage(pkg, '2.0.0');
      try {
        await publishWith(first, pkg);
      } finally {
        await first.stop();
      }
      const second = await startEmbeddedRegistry({ dir });
      try {
        expect(second.npmrc).toBeNull();
        const doc = await fetchPackument(second.url, '@demo/tiny');
        expect(Object.keys(doc!.versions)).toEqual(['2.0.0']);
      } finally {
        await second.stop();
      }
    },
    HANG_GUARD_MS,
  );

  it(
    'lockstep registry serves on the port asked for until interrupted, with the npmrc line and install commands',
    async () => {
      const dir = await stampedRegistry([
        ['1.0.0', 0],
        ['1.1.0', 2],
      ]);
      const port = await new Promise<number>((resolve) => {
        const srv = createServer().listen(0, '127.0.0.1', () => {
          const p = (srv.address() as { port: number }).port;
          srv.close(() => resolve(p));
        });
      });
      let out = '';
      let stop!: () => void;
      const stopped = new Promise<void>((r) => {
        stop = r;
      });
      const url = `http://127.0.0.1:${port}/`;
      const serving = serveRegistry({
        dir,
        recordFile: join(dir, 'no-record.json'),
        port,
        pkg: '@demo/tiny',
        stdout: (t) => {
          out += t;
          stop();
        },
        progress: () => {},
        interrupted: () => stopped.then(async () => pingRegistry(url)),
      });
      await serving;
      expect(out).toContain(`  @demo:registry=${url}\n`);
      expect(out).toContain('  step 0  npm install @demo/tiny@1.0.0   # s0\n');
      expect(out).toContain('  step 1  npm install @demo/tiny@1.0.0\n');
      expect(out).toContain('  step 2  npm install @demo/tiny@1.1.0   # s2\n');
      await expect(pingRegistry(url)).rejects.toThrow(/is not reachable/);
    },
    HANG_GUARD_MS,
  );

  it('rejects registry URLs that are not http(s)', () => {
    expect(normaliseRegistryUrl('http://127.0.0.1:4873')).toBe('http://127.0.0.1:4873/');
    expect(() => normaliseRegistryUrl('ftp://example.invalid/')).toThrow(/not an http/);
    expect(() => normaliseRegistryUrl('nope')).toThrow(/not a URL/);
  });
});
