/**
 * What a cell of the matrix claims (DESIGN.md "Verdicts"), in words and marks, for every
 * place that shows a cell: the terminal matrix, `lockstep show` and the review site. Only a
 * clean-exhausted cell is a proof, and only within its stated space; a clean-searched cell is
 * evidence, and every text here says so.
 */
import type { Explored, ReproOutcome, VerdictKind } from '../lib/reproducers.js';

/** A cell's verdict: what the reproducer showed, or 'error' when it could not run. */
export type CellVerdict = VerdictKind | 'error';

/**
 * The verdict of an outcome. lockstep-repro sets `verdict`; an outcome without one (an older
 * reproducers package) is clean-exhausted only when its exploration says it covered its
 * space, and clean-searched otherwise (one default schedule included).
 */
export function verdictOf(o: ReproOutcome | undefined): CellVerdict {
  if (o === undefined || o.status === 'error') return 'error';
  if (o.status === 'crash') return 'crash';
  if (o.verdict === 'clean-exhausted' || o.verdict === 'clean-searched') return o.verdict;
  return o.explored?.exhausted === true ? 'clean-exhausted' : 'clean-searched';
}

/** One character per cell in the terminal matrix. */
export const MARKS: Record<CellVerdict, string> = {
  crash: 'X',
  'clean-exhausted': '=',
  'clean-searched': '~',
  error: 'E',
};

/** A cell in a few words (badges, `lockstep show`). */
export const WORDS: Record<CellVerdict, string> = {
  crash: 'crash',
  'clean-exhausted': 'clean, exhausted',
  'clean-searched': 'clean, searched',
  error: 'error',
};

/** What each kind of cell means, one line each (the legends). */
export const MEANINGS: Record<CellVerdict, string> = {
  crash: 'a run crashed: the strategy that found it, after how many schedules, and a replay string',
  'clean-exhausted':
    'every schedule of a stated space ran and none failed: a proof, within that space only',
  'clean-searched':
    'the schedule budgets ran out with no failure: evidence, not proof (a strategy that was not run may still find one)',
  error: 'the reproducer could not run',
};

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function schedules(n: number): string {
  return `${count(n)} schedule${n === 1 ? '' : 's'}`;
}

/** An exhaustive phase's coverage: whether it covered its bound, else the bound it did cover. */
function exhaustiveNote(p: NonNullable<Explored['phases']>[number]): string {
  if (p.exhausted === true) return 'every schedule within the bound ran';
  const covered =
    p.exhaustedBound !== undefined && p.exhaustedBound >= 0
      ? `; every schedule within preemption bound ${p.exhaustedBound} ran`
      : '';
  return `not exhausted${p.budget ? `: its ${p.budget} budget ran out` : ''}${covered}`;
}

/**
 * Schedules run per strategy, in portfolio order: "pct: 540, random: 200, exhaustive pb=2:
 * 3,000 (not exhausted: its schedules budget ran out; every schedule within preemption bound
 * 1 ran)". Exhaustive phases are listed one by one, since their coverage is what they claim.
 */
export function perStrategy(e: Explored | undefined): string {
  if (e === undefined) return 'the default schedule';
  if (e.phases === undefined || e.phases.length === 0)
    return `${e.strategy}${e.preemptionBound !== undefined ? ` pb=${e.preemptionBound}` : ''}: ${count(e.schedules)}`;
  const parts: string[] = [];
  const sums = new Map<string, number>();
  for (const p of e.phases) {
    if (p.strategy === 'exhaustive') {
      parts.push(`${p.label}: ${count(p.schedules)} (${exhaustiveNote(p)})`);
      continue;
    }
    if (p.strategy === 'default') {
      parts.push('the default schedule');
      continue;
    }
    if (!sums.has(p.strategy)) parts.push(p.strategy);
    sums.set(p.strategy, (sums.get(p.strategy) ?? 0) + p.schedules);
  }
  return parts.map((x) => (sums.has(x) ? `${x}: ${count(sums.get(x)!)}` : x)).join(', ');
}

/** How a crash was found: "pct d=3 seed=1 after 17 schedules". */
export function foundText(o: ReproOutcome): string {
  const e = o.explored;
  if (e === undefined) return 'the default schedule (1 schedule)';
  if (e.foundBy !== undefined)
    return `${e.foundBy} after ${schedules(e.schedulesToFind ?? e.schedules)}`;
  return `${e.strategy} after ${schedules(e.schedules)}`;
}

/** What a clean outcome showed, with its verdict's caveat. */
export function cleanText(o: ReproOutcome): string {
  const e = o.explored;
  const n = e?.schedules ?? 1;
  if (verdictOf(o) === 'clean-exhausted') {
    const space =
      e?.space ??
      (e?.preemptionBound !== undefined
        ? `every schedule with at most ${e.preemptionBound} preemptions`
        : 'its stated space');
    return `clean, exhausted: ${space}; ${schedules(n)} in all (${perStrategy(e)}), none failed: a proof within that space only`;
  }
  return `clean, searched: no failure in ${schedules(n)} (${perStrategy(e)}): evidence, not proof`;
}

/** The command that replays a run. */
export function replayCommand(id: string, schedule: string | undefined): string {
  return `lockstep-repro ${id} --replay '${schedule ?? 'v1:'}'`;
}

/** An outcome in one line: how a crash was found, or what a clean run showed. */
export function outcomeText(o: ReproOutcome): string {
  if (o.status === 'error') return `error: ${o.error ?? 'unknown'}`;
  if (o.status === 'crash')
    return `${o.title ?? 'crash'}, found by ${foundText(o)}; replay: ${replayCommand(o.id, o.schedule)}`;
  return cleanText(o);
}
