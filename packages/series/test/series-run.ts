/**
 * One `lockstep verify` of every series of this repository per test run, shared by the tests that
 * need one (the end-to-end verify test and the review site's browser test), which vitest may
 * run at the same time in different workers. The first to take the lock runs verify from a
 * fresh tree; the other waits and reads its report. A report from another test run is never
 * used: the run id comes from vitest.config.ts, and a new run starts from nothing.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadWorkspaces } from '../src/series/workspace.js';
import { type VerifyFile, type VerifyReport, verify, verifyFile } from '../src/verify/verify.js';

export interface SharedReport {
  /** The try-#6 series' report (the review site's browser test steps through it). */
  report: VerifyReport;
  /** Every series' report, in the order verify ran them. */
  reports: VerifyReport[];
  /** The report file, and whether this caller ran verify (false: another test did). */
  file: string;
  ran: boolean;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in a lock, or null while its owner has not written it yet (or it just went). */
function lockOwner(lock: string): number | null {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    return pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** mkdir is atomic: the lock is a directory holding its owner's pid (a dead owner's is taken). */
async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = lockOwner(lock);
      if (owner !== null && !alive(owner)) rmSync(lock, { recursive: true, force: true });
      else await sleep(1000); // waiting for the other test's verify: no limit (HANG_GUARD_MS)
    }
  }
  writeFileSync(join(lock, 'pid'), String(process.pid));
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function seriesReportOfThisRun(
  root: string,
  log: (line: string) => void = () => {},
): Promise<SharedReport> {
  const run = process.env.LOCKSTEP_TEST_RUN;
  if (run === undefined) throw new Error('LOCKSTEP_TEST_RUN is not set (see vitest.config.ts)');
  const dir = join(root, '.lockstep', 'test-run');
  const file = join(dir, 'verify.json');
  mkdirSync(join(root, '.lockstep'), { recursive: true });
  return withLock(join(root, '.lockstep', 'test-run.lock'), async () => {
    const stamp = join(dir, 'run-id');
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === run && existsSync(file))
      return shared((JSON.parse(readFileSync(file, 'utf8')) as VerifyFile).series, file, false);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const started = performance.now();
    const reports: VerifyReport[] = [];
    // Sibling trees share one turbo cache (tree/.turbo-cache), as `lockstep verify` does.
    for (const ws of await loadWorkspaces(root, undefined, 'all'))
      reports.push(
        await verify(ws, {
          dir: join(dir, 'tree', ws.name),
          tracesDir: join(dir, 'traces', ws.name),
          log: (l) => log(`${ws.name}: ${l}`),
        }),
      );
    const all = verifyFile(reports, performance.now() - started);
    writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
    writeFileSync(stamp, run);
    return shared(reports, file, true);
  });
}

function shared(reports: VerifyReport[], file: string, ran: boolean): SharedReport {
  const report = reports.find((r) => r.series === 'lockd-try6');
  if (report === undefined) throw new Error(`${file} has no report of the lockd-try6 series`);
  return { report, reports, file, ran };
}
