/**
 * exploreParallel: one seeded random exploration on several worker threads, shard i of n
 * per thread (see shard.ts), merged. Workers cannot receive a function, so the scenario
 * comes as a module path and an export name; the module must import this package's built
 * entry (the same module instance as the workers' exploreShard).
 */
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LockstepUsageError } from '../report.js';
import type { ExploreResult } from './explorer.js';
import { positive } from './run.js';
import { mergeShards, type ShardOptions, type ShardResult } from './shard.js';

export type ParallelOptions = Omit<ShardOptions, 'shard' | 'until'> & {
  /** Worker threads (shards), >= 1. */
  jobs: number;
  /** The scenario's export in the module. Default 'scenario'. */
  exportName?: string;
  /** URL of the kernel entry the workers load. Default: this bundle. */
  kernelUrl?: string;
};

const WORKER = `
const { parentPort, workerData: d } = require('node:worker_threads');
(async () => {
  const k = await import(d.kernel);
  const m = await import(d.module);
  const s = m[d.exportName];
  if (typeof s !== 'function')
    throw new Error('module ' + d.module + ' has no function export ' + JSON.stringify(d.exportName));
  parentPort.postMessage({ ok: k.exploreShard(s, d.opts) });
})().catch((e) => parentPort.postMessage({ err: String((e && e.stack) || e) }));
`;

/** The built package entry next to this code (dist/index.js, or index.cjs in the CJS build). */
function thisBundle(): string {
  const url = (import.meta as { url?: string }).url;
  if (url !== undefined) return url.endsWith('.ts') ? url : new URL('index.js', url).href;
  return pathToFileURL(join(dirname(__filename), 'index.cjs')).href;
}

/** Run shards 1..jobs of a seeded random exploration of `module`'s scenario on threads. */
export async function exploreParallel(
  module: string,
  opts: ParallelOptions,
): Promise<ExploreResult> {
  const { jobs, exportName = 'scenario', kernelUrl, ...rest } = opts;
  positive('jobs', jobs);
  const moduleUrl = /^[a-z]+:/.test(module) ? module : pathToFileURL(module).href;
  const kernel = kernelUrl ?? thisBundle();
  if (kernel.endsWith('.ts'))
    throw new LockstepUsageError(
      'exploreParallel runs the built package (dist): worker threads cannot load TypeScript sources',
    );
  // The lowest run index found so far, shared: shards stop past it (see ExploreOptions.shard).
  const stop = new Int32Array(new SharedArrayBuffer(4));
  stop[0] = 0x7fffffff;
  const one = (index: number) =>
    new Promise<ShardResult>((resolve, reject) => {
      const w = new Worker(WORKER, {
        eval: true,
        // A worker's default young generation is small: the explorer's short-lived machines
        // then scavenge often, and two workers' GCs contend (1.1x instead of 1.66x at 2 jobs).
        resourceLimits: { maxYoungGenerationSizeMb: 64 },
        workerData: {
          kernel,
          module: moduleUrl,
          exportName,
          opts: { ...rest, shard: { index, count: jobs, stop } },
        },
      });
      w.once('message', (m: { ok?: ShardResult; err?: string }) => {
        void w.terminate();
        if (m.ok !== undefined) resolve(m.ok);
        else reject(new LockstepUsageError(`shard ${index}/${jobs} failed: ${m.err ?? '?'}`));
      });
      w.once('error', reject);
    });
  const results = await Promise.all(Array.from({ length: jobs }, (_, i) => one(i + 1)));
  return mergeShards(results);
}
