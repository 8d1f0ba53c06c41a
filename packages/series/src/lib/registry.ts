import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SeriesFailure } from './errors.js';
import { tail } from './proc.js';

/** The Verdaccio release the embedded registry runs (pinned in package.json). */
export const VERDACCIO_VERSION = '6.8.0';
/** The user lockstep publishes as; its password is new at every start. */
export const REGISTRY_USER = 'lockstep';

/** A running registry: where it listens, and how lockstep publishes to it. */
export interface RegistryHandle {
  /** http://127.0.0.1:PORT/ (always with the trailing slash). */
  url: string;
  /** The storage directory (embedded registries only). */
  dir: string;
  /** An npmrc with lockstep's token, for `npm publish --userconfig` (null when read-only). */
  npmrc: string | null;
  stop(): Promise<void>;
}

export interface EmbeddedRegistryOptions {
  /** Holds config.yaml, htpasswd, storage/ and verdaccio.log (default .lockstep/registry). */
  dir: string;
  /** Log in and write an npmrc for publishing (release); bisect only reads. */
  publish?: boolean;
  /** The port to listen on (default 0: a free port the kernel picks). */
  port?: number;
  log?: (line: string) => void;
}

const requireHere = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);

/**
 * The server process: Verdaccio's programmatic runServer on 127.0.0.1 with the given port (0: one
 * the kernel picks), reporting the port over IPC. It exits when its parent goes away (IPC disconnect), so a
 * killed lockstep never leaves a registry behind.
 */
const SERVER = `
const [main, config, port] = process.argv.slice(1);
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
require(main).runServer(config).then((app) => {
  const server = app.listen(Number(port), '127.0.0.1', () => process.send({ port: server.address().port }));
  server.on('error', (e) => { console.error(e && e.stack || String(e)); process.exit(1); });
}, (e) => { console.error(e && e.stack || String(e)); process.exit(1); });
`;

/** Verdaccio's configuration (JSON is YAML): no uplinks, reads for all, publishes need a login. */
function verdaccioConfig(dir: string): object {
  const rules = { access: '$all', publish: '$authenticated', unpublish: '$authenticated' };
  return {
    storage: join(dir, 'storage'),
    // max_users -1: nobody can register; lockstep writes its own user into htpasswd.
    auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: -1 } },
    uplinks: {},
    packages: { '@*/*': rules, '**': rules },
    web: { enable: false },
    server: { keepAliveTimeout: 60 },
    log: { type: 'stdout', format: 'json', level: 'warn' },
  };
}

function verdaccioMain(): string {
  let pkg: { version?: string };
  try {
    pkg = requireHere('verdaccio/package.json') as { version?: string };
  } catch {
    throw new SeriesFailure('verdaccio is not installed next to lockstep', [
      `the embedded registry needs verdaccio ${VERDACCIO_VERSION}, an optional peer dependency of @lockstep/series: npm install verdaccio@${VERDACCIO_VERSION} next to it (a clone's npm install has it)`,
      'or give --registry URL to use a registry that is already running',
    ]);
  }
  if (pkg.version !== VERDACCIO_VERSION)
    throw new SeriesFailure(
      `lockstep needs verdaccio ${VERDACCIO_VERSION}; found ${pkg.version ?? 'no version'}`,
      ['run npm install'],
    );
  return requireHere.resolve('verdaccio');
}

function waitForPort(child: ChildProcess, logFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      const log = existsSync(logFile) ? tail(readFileSync(logFile, 'utf8'), 10) : [];
      reject(new SeriesFailure(`the embedded registry did not start: ${why}`, log));
    };
    const timer = setTimeout(() => fail('no answer in 60 s'), 60_000);
    child.once('message', (m: { port?: unknown }) => {
      clearTimeout(timer);
      if (typeof m?.port === 'number') resolve(m.port);
      else fail(`unexpected message ${JSON.stringify(m)}`);
    });
    child.once('exit', (code) => fail(`verdaccio exited with code ${code}`));
    child.once('error', (e) => fail(e.message));
  });
}

/** Log in as lockstep (Basic auth on the CouchDB user endpoint, as npm login does): a token. */
async function login(url: string, password: string): Promise<string> {
  const basic = Buffer.from(`${REGISTRY_USER}:${password}`).toString('base64');
  const res = await fetch(`${url}-/user/org.couchdb.user:${REGISTRY_USER}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Basic ${basic}` },
    body: JSON.stringify({ name: REGISTRY_USER, password }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: string };
  if (!res.ok || typeof body.token !== 'string')
    throw new SeriesFailure(`could not log in to the embedded registry at ${url}`, [
      `${res.status} ${body.error ?? ''}`.trim(),
    ]);
  return body.token;
}

/**
 * Start the embedded registry: Verdaccio on 127.0.0.1 (a free port), storing under `dir`.
 * Installs are anonymous; publishing needs a login, and registration is off, so lockstep
 * writes its user into htpasswd with a fresh random password and logs in for a token (written
 * to an npmrc that only lockstep's own publishes use). stop() ends the server.
 */
export async function startEmbeddedRegistry(
  opts: EmbeddedRegistryOptions,
): Promise<RegistryHandle> {
  const { dir } = opts;
  const main = verdaccioMain();
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(config, `${JSON.stringify(verdaccioConfig(dir), null, 2)}\n`);
  const password = randomBytes(24).toString('hex');
  const sha = createHash('sha1').update(password, 'utf8').digest('base64');
  writeFileSync(join(dir, 'htpasswd'), `${REGISTRY_USER}:{SHA}${sha}:lockstep\n`, { mode: 0o600 });
  const logFile = join(dir, 'verdaccio.log');
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['-e', SERVER, main, config, String(opts.port ?? 0)], {
    cwd: dir,
    stdio: ['ignore', fd, fd, 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  closeSync(fd);
  const killNow = () => child.kill('SIGKILL');
  process.once('exit', killNow);
  let port: number;
  try {
    port = await waitForPort(child, logFile);
  } catch (e) {
    process.removeListener('exit', killNow);
    throw e;
  }
  const url = `http://127.0.0.1:${port}/`;
  opts.log?.(`embedded registry (verdaccio ${VERDACCIO_VERSION}) at ${url}, storage ${dir}`);

  let stopped = false;
  const npmrcFile = join(dir, 'publish.npmrc');
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killNow);
    rmSync(npmrcFile, { force: true });
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  };
  let npmrc: string | null = null;
  if (opts.publish) {
    try {
      const token = await login(url, password);
      writeFileSync(npmrcFile, `//127.0.0.1:${port}/:_authToken=${token}\n`, { mode: 0o600 });
      npmrc = npmrcFile;
    } catch (e) {
      await stop();
      throw e;
    }
  }
  return { url, dir, npmrc, stop };
}

/** Run `fn` with the embedded registry running; it is stopped whatever happens. */
export async function withEmbeddedRegistry<T>(
  opts: EmbeddedRegistryOptions,
  fn: (r: RegistryHandle) => Promise<T>,
): Promise<T> {
  const r = await startEmbeddedRegistry(opts);
  try {
    return await fn(r);
  } finally {
    await r.stop();
  }
}
