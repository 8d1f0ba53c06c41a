import { SeriesUsageError } from '../lib/errors.js';
import { type PatchInfo, readPatchInfo } from './patch-file.js';
import type { Workspace } from './workspace.js';

/** Headers and trailers of every patch of the series, in order. */
export async function readPatchInfos(ws: Workspace, scratch: string): Promise<PatchInfo[]> {
  const out: PatchInfo[] = [];
  for (const [i, p] of ws.patches.entries()) {
    out.push(await readPatchInfo(p.name, p.text, scratch, `patch-${i + 1}`));
  }
  return out;
}

/** One line per step: `0  base`, `N  name: subject`. */
export function describeSteps(infos: readonly PatchInfo[]): string[] {
  return ['0  base', ...infos.map((p, i) => `${i + 1}  ${p.name}: ${p.subject}`)];
}

/** Parse a step argument (`N` or `step-N`); an unknown step lists the valid ones. */
export function parseStep(arg: string, infos: readonly PatchInfo[]): number {
  const m = /^(?:step-)?(\d+)$/.exec(arg.trim());
  const n = m ? Number(m[1]) : Number.NaN;
  if (Number.isSafeInteger(n) && n <= infos.length) return n;
  const valid =
    infos.length === 0
      ? 'the only valid step is 0 (the base)'
      : `valid steps are 0..${infos.length}`;
  throw new SeriesUsageError(`unknown step '${arg}': ${valid}`, describeSteps(infos));
}
