import { SeriesFailure } from '../lib/errors.js';
import type { ReproducerMeta } from '../lib/reproducers.js';
import type { PatchInfo } from '../series/patch-file.js';

/** A claim to fix a reproducer that a `Refuted:` trailer records the model refutes. */
export interface RefutedLink {
  /** Step of the patch whose `Fixes-reproducer:` made the claim. */
  claimedAt: number;
  /** Step of the patch whose `Refuted:` records the refutation (claimedAt or later). */
  refutedAt: number;
}

/** How the series links to one reproducer, from the patches' trailers. */
export interface ReproducerLinks {
  /** Step of the patch whose `Fixes-reproducer:` names it and is not refuted. */
  fixedAt: number | null;
  /** Claims to fix it that a later-or-same patch's `Refuted:` records as refuted. */
  refuted: RefutedLink[];
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
 * Pair each `Refuted:` with the latest claim (`Fixes-reproducer:`) at or before it that is not
 * yet refuted, and return the claim that stands (at most one). Refuting what no patch claimed,
 * two claims standing, or a refuted claim after a standing one, are errors in the series.
 */
function matchRefutations(
  id: string,
  claims: readonly number[],
  refutations: readonly number[],
  infos: readonly PatchInfo[],
): { fixedAt: number | null; refuted: RefutedLink[] } {
  const open = [...claims];
  const refuted: RefutedLink[] = [];
  for (const r of refutations) {
    let at = -1;
    open.forEach((c, i) => {
      if (c <= r) at = i;
    });
    if (at < 0)
      throw new SeriesFailure(`patch ${r} (${infos[r - 1]!.name}) refutes a claim nobody made`, [
        `Refuted: ${id}, but no patch up to ${r} claims Fixes-reproducer: ${id} (or every such claim is already refuted)`,
      ]);
    refuted.push({ claimedAt: open[at]!, refutedAt: r });
    open.splice(at, 1);
  }
  if (open.length > 1)
    throw new SeriesFailure(`reproducer '${id}' is fixed or introduced by more than one patch`, [
      `Fixes-reproducer at steps ${claims.join(', ')}; refuted at ${refuted.map((x) => x.claimedAt).join(', ') || '-'}: at most one claim may stand`,
    ]);
  const fixedAt = open[0] ?? null;
  const late = refuted.find((x) => fixedAt !== null && x.claimedAt > fixedAt);
  if (late !== undefined)
    throw new SeriesFailure(`reproducer '${id}': a refuted claim follows a fix that stands`, [
      `fixed by ${fixedAt}, yet the claim of ${late.claimedAt} is refuted: it cannot crash again without a patch that introduces it`,
    ]);
  refuted.sort((a, b) => a.claimedAt - b.claimedAt);
  return { fixedAt, refuted };
}

/**
 * The expected matrix: the claims minus the recorded refutations. A reproducer crashes with
 * its expected title from the patch that introduces it (or the base) up to the patch whose
 * fix stands (or the end of the series); a claimed fix that a `Refuted:` trailer refutes
 * changes nothing, so the reproducer is expected to crash on from the claim. A reproducer that
 * a patch names as `Not-observable:` is expected clean at every step: the patch claims a fix
 * the model shows no failure for. A patch after a standing fix may introduce the bug again
 * (`Introduces-reproducer:` after `Fixes-reproducer:`): it is expected to crash before the
 * fix and from that patch on. Trailers naming unknown reproducers, one reproducer
 * introduced twice, or fixed by two claims that stand, are errors in the series.
 */
export function expectedMatrix(
  infos: readonly PatchInfo[],
  repros: readonly ReproducerMeta[],
): Expectation[] {
  const known = new Set(repros.map((r) => r.id));
  const problems: string[] = [];
  infos.forEach((p, i) => {
    const named = [
      ...p.fixesReproducers,
      ...p.introducesReproducers,
      ...p.notObservable,
      ...p.refuted,
    ];
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
    const claims = stepsNaming(infos, (p) => p.fixesReproducers, r.id);
    const introduced = stepsNaming(infos, (p) => p.introducesReproducers, r.id);
    const notObservableAt = stepsNaming(infos, (p) => p.notObservable, r.id);
    const refutations = stepsNaming(infos, (p) => p.refuted, r.id);
    if (introduced.length > 1)
      throw new SeriesFailure(
        `reproducer '${r.id}' is fixed or introduced by more than one patch`,
        [
          `Fixes-reproducer at steps ${claims.join(', ') || '-'}; Introduces-reproducer at steps ${introduced.join(', ')}`,
        ],
      );
    const { fixedAt, refuted } = matchRefutations(r.id, claims, refutations, infos);
    const links: ReproducerLinks = {
      fixedAt,
      refuted,
      introducedAt: introduced[0] ?? null,
      notObservableAt,
    };
    const expected: (string | null)[] = [];
    for (let s = 0; s <= infos.length; s++) {
      const { introducedAt: inAt, fixedAt: fixAt } = links;
      // A patch after the fix that introduces the bug again: present before the fix and from
      // the reintroduction on ("fixed by 5, reintroduced by 6").
      const reintroduced = inAt !== null && fixAt !== null && inAt > fixAt;
      const present =
        notObservableAt.length === 0 &&
        (reintroduced
          ? s < fixAt || s >= inAt
          : (inAt === null || s >= inAt) && (fixAt === null || s < fixAt));
      expected.push(present ? r.expects : null);
    }
    return { id: r.id, links, expected };
  });
}
