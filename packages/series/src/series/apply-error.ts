import { SeriesFailure } from '../lib/errors.js';
import { findHunk } from './patch-file.js';
import type { SeriesPatch } from './workspace.js';

/**
 * Turn what `git am` / `git apply` printed for a patch that did not apply into one line that
 * names the patch, the file and the hunk, with git's own error lines as details. `step` is the
 * step the patch was applied to; `after` are extra detail lines (what was left behind).
 */
export function applyFailure(
  patch: SeriesPatch,
  output: string,
  step: number,
  after: readonly string[] = [],
): SeriesFailure {
  const lines = output.split('\n').map((l) => l.trimEnd());
  const errors = lines.filter((l) => l.startsWith('error: ') || l.startsWith('fatal: '));
  const head = `patch ${patch.name} does not apply to step ${step}`;
  let what: string | null = null;
  for (const l of errors) {
    let m = /^error: patch failed: (.+):(\d+)$/.exec(l);
    if (m) {
      const hunk = findHunk(patch.text, m[1]!, Number(m[2]));
      what = hunk
        ? `${m[1]}, hunk #${hunk.index} (${hunk.header})`
        : `${m[1]}, the hunk at line ${m[2]}`;
      break;
    }
    m = /^error: (.+): (does not exist|already exists) in (?:index|working directory)$/.exec(l);
    if (m) {
      what = `${m[1]} ${m[2]}`;
      break;
    }
    m = /^error: (corrupt patch|patch fragment without header) at line (\d+)/.exec(l);
    if (m) {
      what = `${m[1]} at line ${m[2]} of the patch`;
      break;
    }
    m = /^error: (.+): (.+)$/.exec(l);
    if (m && what === null) what = `${m[1]}: ${m[2]}`;
  }
  return new SeriesFailure(what ? `${head}: ${what}` : head, [
    `listed on ${patch.listedIn}:${patch.line}`,
    ...errors,
    ...after,
  ]);
}
