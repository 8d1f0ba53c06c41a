/** Building a Reproducer from its description, its scenario and how to explore it. */
import { type Phase, type Portfolio, portfolioPhases } from './portfolio.js';
import { explorePhases } from './run.js';
import type { Reproducer, ReproKind } from './types.js';

export type ReproDef = Omit<Reproducer, 'run' | 'kind' | 'accepts'>;

/** Portfolio settings that differ from DEFAULT_PORTFOLIO, or the phases themselves. */
export type ExploreSpec = Partial<Portfolio> | readonly Phase[];

function isPhases(spec: ExploreSpec): spec is readonly Phase[] {
  return Array.isArray(spec);
}

function build(
  def: ReproDef,
  kind: ReproKind,
  spec: ExploreSpec,
  accepts: (title: string) => boolean,
): Reproducer {
  const phases = isPhases(spec) ? [...spec] : portfolioPhases(spec);
  if (phases.length === 0) throw new Error(`${def.id}: a reproducer needs a phase`);
  return {
    ...def,
    kind,
    accepts,
    run: (opts) => explorePhases(def.id, def.scenario, def.machine, phases, accepts, opts),
  };
}

/**
 * A reproducer whose bug shows on the default schedule (kind 'single'). It still explores
 * with the portfolio, so a clean cell says what was searched, not just "one run".
 */
export function single(
  def: ReproDef,
  spec: ExploreSpec = {},
  accepts: (title: string) => boolean = (t) => t === def.expects,
): Reproducer {
  return build(def, 'single', spec, accepts);
}

/**
 * A race reproducer (kind 'race'): explores the portfolio's phases until a run ends in a
 * report that `accepts` (default: the expected title) counts as this reproducer's bug.
 */
export function explored(
  def: ReproDef,
  spec: ExploreSpec = {},
  accepts: (title: string) => boolean = (t) => t === def.expects,
): Reproducer {
  return build(def, 'race', spec, accepts);
}
