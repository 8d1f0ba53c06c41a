import { SeriesFailure } from './errors.js';
import type { PatchInfo } from './patch-file.js';

/** What a reproducer says about itself (lockstep-repro --list --json). */
export interface ReproducerMeta {
  id: string;
  title: string;
  /** The crash title it expects while the bug is present. */
  expects: string;
  kind: string;
  doc: string;
}

/** How the series links to one reproducer, from the patches' trailers. */
export interface ReproducerLinks {
  /** Step of the patch whose `Fixes-reproducer:` names it. */
  fixedAt: number | null;
  /** Step of the patch whose `Introduces-reproducer:` names it. */
  introducedAt: number | null;
  /** Steps of patches whose `Not-observable:` names it: linked, but nothing changes. */
  notObservableAt: number[];
}

/** The expected outcome of one reproducer at every step, derived from the trailers alone. */
export interface Expectation {
  id: string;
  links: ReproducerLinks;
  /** expected[s]: the expected crash title at step s, or null for clean. */
  expected: (string | null)[];
}

function stepsNaming(
  infos: readonly PatchInfo[],
  pick: (p: PatchInfo) => readonly string[],
  id: string,
): number[] {
  const out: number[] = [];
  infos.forEach((p, i) => {
    if (pick(p).includes(id)) out.push(i + 1);
  });
  return out;
}

/**
 * The expected matrix. A reproducer crashes with its expected title from the patch that
 * introduces it (or the base) up to the patch that fixes it (or the end of the series). A
 * reproducer that a patch names as `Not-observable:` is expected clean at every step: the
 * patch claims a fix the model shows no failure for. Trailers naming unknown reproducers, or
 * one reproducer fixed or introduced twice, are errors in the series.
 */
export function expectedMatrix(
  infos: readonly PatchInfo[],
  repros: readonly ReproducerMeta[],
): Expectation[] {
  const known = new Set(repros.map((r) => r.id));
  const problems: string[] = [];
  infos.forEach((p, i) => {
    const named = [...p.fixesReproducers, ...p.introducesReproducers, ...p.notObservable];
    for (const id of named)
      if (!known.has(id))
        problems.push(`patch ${i + 1} (${p.name}) names unknown reproducer '${id}'`);
  });
  if (problems.length > 0)
    throw new SeriesFailure('the series names reproducers that do not exist', [
      ...problems,
      `known reproducers: ${[...known].join(', ') || '(none)'}`,
    ]);
  return repros.map((r) => {
    const fixed = stepsNaming(infos, (p) => p.fixesReproducers, r.id);
    const introduced = stepsNaming(infos, (p) => p.introducesReproducers, r.id);
    const notObservableAt = stepsNaming(infos, (p) => p.notObservable, r.id);
    if (fixed.length > 1 || introduced.length > 1)
      throw new SeriesFailure(
        `reproducer '${r.id}' is fixed or introduced by more than one patch`,
        [
          `Fixes-reproducer at steps ${fixed.join(', ') || '-'}; Introduces-reproducer at steps ${introduced.join(', ') || '-'}`,
        ],
      );
    const links: ReproducerLinks = {
      fixedAt: fixed[0] ?? null,
      introducedAt: introduced[0] ?? null,
      notObservableAt,
    };
    const expected: (string | null)[] = [];
    for (let s = 0; s <= infos.length; s++) {
      const present =
        notObservableAt.length === 0 &&
        (links.introducedAt === null || s >= links.introducedAt) &&
        (links.fixedAt === null || s < links.fixedAt);
      expected.push(present ? r.expects : null);
    }
    return { id: r.id, links, expected };
  });
}
