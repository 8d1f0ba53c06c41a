/**
 * Refuted claims: a patch claimed to fix a reproducer (`Fixes-reproducer:`), and the series
 * records (`Refuted:`) that the model refutes it. Everything here is read from what the verify
 * run observed (its cells and outcomes), never from a table: the trailers only say which claim
 * is refuted, the run says how it still crashes.
 */
import type { ReproOutcome } from '../lib/reproducers.js';
import { foundText, replayCommand, verdictOf, WORDS } from './verdict.js';
import type { ReproducerRow, VerifyReport } from './verify.js';

export interface RefutedClaim {
  id: string;
  /** The step whose patch claimed the fix, and its subject. */
  claimedAt: number;
  claimSubject: string | null;
  /** The step whose patch carries `Refuted:` (claimedAt or later). */
  refutedAt: number;
  /** Steps from the claim on where the run crashed (until a fix that stands, or the end). */
  crashesAt: number[];
  /** The outcome at the claimed step: the crash that refutes the claim (or what was seen). */
  outcome: ReproOutcome | undefined;
}

/** The refuted claims of a report, in reproducer order. */
export function refutedClaims(report: VerifyReport): RefutedClaim[] {
  const out: RefutedClaim[] = [];
  for (const r of report.reproducers)
    for (const link of r.links.refuted ?? []) {
      const end = r.links.fixedAt ?? report.steps.length;
      const crashesAt: number[] = [];
      for (let s = link.claimedAt; s < end; s++)
        if (r.cells[s]?.verdict === 'crash') crashesAt.push(s);
      out.push({
        id: r.id,
        claimedAt: link.claimedAt,
        claimSubject: report.steps[link.claimedAt]?.subject ?? null,
        refutedAt: link.refutedAt,
        crashesAt,
        outcome: report.steps[link.claimedAt]?.outcomes.find((o) => o.id === r.id),
      });
    }
  return out;
}

/** The refuted claims that a patch makes or records. */
export function refutedAtPatch(report: VerifyReport, step: number): RefutedClaim[] {
  return refutedClaims(report).filter((c) => c.claimedAt === step || c.refutedAt === step);
}

/** "6", "6-7", "5, 7": steps in words. */
export function stepList(steps: readonly number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < steps.length; ) {
    let j = i;
    while (j + 1 < steps.length && steps[j + 1] === steps[j]! + 1) j++;
    runs.push(j === i ? `${steps[i]}` : `${steps[i]}-${steps[j]}`);
    i = j + 1;
  }
  return runs.join(', ');
}

/** How the link column names the claim: "claimed fixed by 6, refuted" (by 7, when later). */
export function refutedLinkText(c: { claimedAt: number; refutedAt: number }): string {
  return `claimed fixed by ${c.claimedAt}, refuted${c.refutedAt === c.claimedAt ? '' : ` by ${c.refutedAt}`}`;
}

/** The claim and what the run showed, without the reproducer id. */
export function refutedSummary(c: RefutedClaim): string {
  const claim = `claimed fixed by ${c.claimedAt}${c.claimSubject ? ` (${c.claimSubject})` : ''}${c.refutedAt === c.claimedAt ? '' : `, refuted by ${c.refutedAt}`}`;
  const o = c.outcome;
  if (o?.status !== 'crash')
    return `${claim}, but this run shows no crash at ${c.claimedAt} (${o === undefined ? 'no outcome' : WORDS[verdictOf(o)]}): the refutation does not hold (see the problems)`;
  return `${claim}, still crashes at ${stepList(c.crashesAt)}: ${o.title ?? 'crash'}, found by ${foundText(o)}`;
}

/** One line of verify's "Refuted claims" section. */
export function refutedLine(c: RefutedClaim): string {
  const o = c.outcome;
  const replay = o?.status === 'crash' ? `; replay: ${replayCommand(c.id, o.schedule)}` : '';
  return `${c.id}: ${refutedSummary(c)}${replay}`;
}

/** Whether a row's claim made at `step` is refuted. */
export function isRefutedAt(r: Pick<ReproducerRow, 'links'>, step: number): boolean {
  return (r.links.refuted ?? []).some((x) => x.claimedAt === step);
}
