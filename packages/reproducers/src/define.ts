/** Building a Reproducer from its description, its scenario and how to run it. */
import { explorePhases, type Phase, runOnce } from './run.js';
import type { Reproducer } from './types.js';

export type ReproDef = Omit<Reproducer, 'run' | 'kind'>;

/** Runs the scenario once, under the default schedule. */
export function single(def: ReproDef): Reproducer {
  return { ...def, kind: 'single', run: () => runOnce(def.id, def.scenario, def.machine) };
}

/**
 * Explores the scenario's schedules, phase after phase, until a run ends in a report that
 * `accepts` (default: the expected title) counts as this reproducer's bug.
 */
export function explored(
  def: ReproDef,
  phases: readonly Phase[],
  accepts: (title: string) => boolean = (t) => t === def.expects,
): Reproducer {
  if (phases.length === 0) throw new Error(`${def.id}: an explored reproducer needs a phase`);
  return {
    ...def,
    kind: 'race',
    run: (opts) => explorePhases(def.id, def.scenario, def.machine, phases, accepts, opts),
  };
}
