import {
  complete,
  DECLARE_COMPLETION,
  explore,
  type Machine,
  replay,
  type Scenario,
  sched_point,
  wait_for_completion,
} from '@lockstep/kernel';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PORTFOLIO,
  explored,
  formatTable,
  type Outcome,
  portfolioPhases,
  single,
  verdictText,
} from '../src/index.js';

const TITLE = 'BUG: unable to handle kernel NULL pointer dereference in producer_release';

/**
 * A planted race that needs three preemptions. The producer hands the consumer three
 * tokens; after each complete() it looks once (one scheduling point later) whether the
 * consumer took it, and stops handing over if not. The consumer clears `serv` after its
 * third token. Only if the consumer ran right after each of the three wake-ups (the
 * producer was still runnable each time: three preemptions) does the producer, trusting the
 * lockstep, use the cleared `serv`. Bounded exhaustive search at bound 2 cannot reach it; PCT
 * reaches it whenever the consumer gets the higher priority, a wake-up then runs it at once.
 */
const threeWakeups: Scenario = (m: Machine) => {
  const tokens = [0, 1, 2].map((i) => DECLARE_COMPLETION(`token${i}`));
  const st: { taken: number; serv: { users: number } | null } = {
    taken: 0,
    serv: { users: 0 },
  };
  m.spawn_user('producer', function* producer_release() {
    for (let i = 0; i < 3; i++) {
      complete(tokens[i]!);
      yield* sched_point();
      if (st.taken !== i + 1) {
        // The consumer lags behind: no lockstep. Hand over the rest and leave `serv` alone.
        for (let j = i + 1; j < 3; j++) complete(tokens[j]!);
        return;
      }
    }
    st.serv!.users++;
  });
  m.spawn_user('consumer', function* consumer_take() {
    for (let i = 0; i < 3; i++) {
      yield* wait_for_completion(tokens[i]!);
      st.taken++;
    }
    st.serv = null;
  });
};

const def = {
  id: 'planted-three-wakeups',
  title: 'planted race: three wake-ups in lockstep',
  expects: TITLE,
  doc: 'test\nscenario\nonly',
  scenario: threeWakeups,
  machine: {},
};

describe('a race bounded exhaustive search at bound 2 provably misses', () => {
  it('its whole bound-2 space runs with no find; bound 3 finds it, after bound 2', () => {
    const two = explore(threeWakeups, { strategy: 'exhaustive', preemptionBound: 2 });
    expect(two.found).toBeUndefined();
    expect(two.exhausted).toBe(true);
    expect(two.exhaustedBound).toBe(2);
    expect(two.budget).toBeUndefined();
    const three = explore(threeWakeups, { strategy: 'exhaustive', preemptionBound: 3 });
    expect(three.found?.report.title).toBe(TITLE);
    expect(three.found?.bound).toBe(3);
    expect(three.exhaustedBound).toBe(2);
    expect(replay(threeWakeups, three.found!.schedule).preemptions).toBe(3);
  });

  it('the default schedule misses it', () => {
    const r = replay(threeWakeups, 'v1:');
    expect(r.outcome).toBe('clean');
  });

  it('the portfolio finds it with PCT: verdict crash, found by a pct phase', () => {
    const o = explored(def).run();
    expect(o.status).toBe('crash');
    expect(o.verdict).toBe('crash');
    expect(o.title).toBe(TITLE);
    const e = o.explored!;
    expect(e.foundBy).toMatch(/^pct d=\d seed=\d+$/);
    const phases = e.phases!;
    expect(phases[0]).toMatchObject({ label: 'default', strategy: 'default', schedules: 1 });
    expect(phases.at(-1)).toMatchObject({ label: e.foundBy, strategy: 'pct', found: true });
    expect(phases.filter((p) => p.found === true)).toHaveLength(1);
    // The schedules of every phase up to the find, which is the last one run.
    expect(e.schedulesToFind).toBe(phases.reduce((n, p) => n + p.schedules, 0));
    expect(e.schedules).toBe(e.schedulesToFind);
    // Shrunk, it still needs its three preemptions, and it replays to the same report.
    const again = replay(threeWakeups, o.schedule!);
    expect(again.report?.title).toBe(TITLE);
    expect(again.preemptions).toBe(3);
    expect(verdictText(o)).toBe(`crash (${e.foundBy}, ${e.schedulesToFind} schedules)`);
  });

  it('with only the exhaustive phase at bound 2 the cell would be clean-exhausted', () => {
    const o = explored(def, [
      { strategy: 'exhaustive', preemptionBound: 2, maxSchedules: 10_000 },
    ]).run();
    expect(o.status).toBe('clean');
    expect(o.verdict).toBe('clean-exhausted');
    expect(o.explored?.space).toMatch(
      /^every schedule with at most 2 preemptions \(\d+ schedules\)$/,
    );
  });
});

describe('a search stopped by its budget is never clean-exhausted', () => {
  const space = explore(threeWakeups, { strategy: 'exhaustive', preemptionBound: 2 }).schedules;

  it.each([1, 2, 3])(
    'exhaustive budget %i schedules short of the space: clean-searched',
    (short) => {
      const o = explored(def, [
        { strategy: 'exhaustive', preemptionBound: 2, maxSchedules: space - short },
      ]).run();
      expect(o.status).toBe('clean');
      expect(o.verdict).toBe('clean-searched');
      expect(o.explored?.exhausted).toBe(false);
      expect(o.explored?.space).toBeUndefined();
      const ph = o.explored!.phases![0]!;
      expect(ph).toMatchObject({ exhausted: false, budget: 'schedules', preemptionBound: 2 });
      expect(ph.exhaustedBound!).toBeLessThan(2);
      expect(verdictText(o)).toMatch(/^clean, searched: [\d,]+ schedules, no failure/);
    },
  );

  it('a budget that exactly fits the space covers it', () => {
    const o = explored(def, [
      { strategy: 'exhaustive', preemptionBound: 2, maxSchedules: space },
    ]).run();
    expect(o.verdict).toBe('clean-exhausted');
  });

  it('random and PCT alone never claim coverage, however many schedules they ran', () => {
    const o = explored(def, [
      { strategy: 'random', seed: 1, maxSchedules: 3 },
      { strategy: 'pct', seed: 1, depth: 1, maxSchedules: 1 },
    ]).run();
    // Random (probability 1/8 a run) may find it; if not, the cell is only searched.
    if (o.status === 'clean') expect(o.verdict).toBe('clean-searched');
    else expect(o.explored?.foundBy).toMatch(/^(random|pct)/);
  });
});

describe('the portfolio', () => {
  it('runs default, PCT at depths 1 to 3 over seeds, random, then exhaustive at bound 2', () => {
    const labels = portfolioPhases().map((p) => p.strategy);
    expect(labels[0]).toBe('default');
    expect(labels.at(-1)).toBe('exhaustive');
    const pct = portfolioPhases().filter((p) => p.strategy === 'pct');
    expect(new Set(pct.map((p) => p.depth))).toEqual(new Set([1, 2, 3]));
    expect(new Set(pct.map((p) => p.seed)).size).toBeGreaterThan(1);
    expect(portfolioPhases().at(-1)?.preemptionBound).toBe(DEFAULT_PORTFOLIO.preemptionBound);
    expect(portfolioPhases({ preemptionBound: 3 }).at(-1)?.preemptionBound).toBe(3);
  });

  it('a scenario with one runnable task at every point: the only schedule, exhausted', () => {
    const one: Scenario = (m) => {
      m.spawn_user('alone', function* alone() {
        yield* sched_point();
      });
    };
    const o = single({ ...def, scenario: one }).run();
    expect(o.verdict).toBe('clean-exhausted');
    expect(o.explored?.space).toBe('the only schedule');
    expect(o.explored?.schedules).toBe(2); // the default run, and the exhaustive one
    expect(o.explored?.phases?.map((p) => p.strategy)).toEqual(['default', 'exhaustive']);
    expect(formatTable([o])).toContain('clean, exhausted: the only schedule');
  });

  it('the same outcome on every run (schedule budgets, not wall-clock)', () => {
    const strip = (o: Outcome) => ({ ...o, ms: undefined });
    expect(strip(explored(def).run())).toEqual(strip(explored(def).run()));
  });

  it('a reproducer whose bug shows on the default schedule is found there, in one schedule', () => {
    const flip: Scenario = (m) => {
      m.spawn_user('first', function* first_user() {
        yield* sched_point();
        throw new TypeError("Cannot read properties of null (reading 'users')");
      });
    };
    const o = single(
      { ...def, scenario: flip, expects: expect.any(String) as unknown as string },
      {},
      () => true,
    ).run();
    expect(o.verdict).toBe('crash');
    expect(o.explored?.foundBy).toBe('default');
    expect(o.explored?.schedulesToFind).toBe(1);
    expect(o.schedule).toBe('v1:');
  });
});
