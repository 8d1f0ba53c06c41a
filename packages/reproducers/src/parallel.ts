/**
 * `lockstep-repro --jobs N`: run each reproducer in its own child process, N at a time, and
 * give the outcomes in the order asked. Each reproducer explores by schedule counts in a fresh
 * kernel, so its outcome does not depend on which process ran it or what ran beside it (a test
 * compares the JSON with a one-process run).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Outcome } from './types.js';

/** Run `node cli <id> --json` for one reproducer; its outcome, or an error outcome. */
function runChild(cli: string, id: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, id, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const text = Buffer.concat(out).toString('utf8');
      if (code === 0) {
        const [o] = (JSON.parse(text) as { outcomes: Outcome[] }).outcomes;
        if (o !== undefined) return resolve(o);
      }
      const why = Buffer.concat(err).toString('utf8').trim() || `exit ${code ?? signal}`;
      resolve({ id, status: 'error', error: `the child process failed: ${why}` });
    });
  });
}

export async function runReproducersInProcesses(
  cli: string,
  ids: readonly string[],
  jobs: number,
): Promise<Outcome[]> {
  if (!existsSync(cli)) throw new Error(`--jobs needs the built CLI, and ${cli} does not exist`);
  const outs = new Array<Outcome>(ids.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const i = next++;
      outs[i] = await runChild(cli, ids[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, ids.length) }, worker));
  return outs;
}
