import { describe, expect, it } from 'vitest';
import { classicPrograms, explore, exploreShard, mergeShards } from '../src/index.js';

const machine = { lockdep: false };

describe('exploreShard / mergeShards', () => {
  for (const name of ['account_3', 'stack_3', 'twostage_2']) {
    it(`${name}: merged shards report what one process reports, for any n`, () => {
      const p = classicPrograms.find((q) => q.name === name)!;
      const opts = { seed: 11, maxSchedules: 3000, machine };
      const one = explore(p.scenario, { ...opts, strategy: 'random' });
      expect(one.found).toBeDefined();
      for (const n of [1, 2, 3, 5]) {
        const shards = Array.from({ length: n }, (_, i) =>
          // Through JSON, as files between machines.
          JSON.parse(
            JSON.stringify(
              exploreShard(p.scenario, { ...opts, shard: { index: i + 1, count: n } }),
            ),
          ),
        );
        const merged = mergeShards(shards.reverse());
        expect(merged.found?.schedule).toBe(one.found!.schedule);
        expect(merged.found?.runIndex).toBe(one.found!.runIndex);
        expect(merged.found?.report.text).toBe(one.found!.report.text);
      }
    });
  }

  it('shards sharing a stop index skip runs past the first find, and merge the same', () => {
    const p = classicPrograms.find((q) => q.name === 'stack_3')!;
    const opts = { seed: 11, maxSchedules: 3000, machine };
    const one = explore(p.scenario, { ...opts, strategy: 'random' });
    const stop = new Int32Array(new SharedArrayBuffer(4));
    stop[0] = 0x7fffffff;
    const shards = [3, 1, 2].map((i) =>
      exploreShard(p.scenario, { ...opts, shard: { index: i, count: 3, stop } }),
    );
    expect(stop[0]).toBe(one.found!.runIndex);
    for (const s of shards)
      if (s.found === undefined)
        expect(s.shard.index - 1 + 3 * s.schedules).toBeGreaterThan(one.found!.runIndex);
    const merged = mergeShards(shards);
    expect(merged.found?.schedule).toBe(one.found!.schedule);
    expect(merged.found?.runIndex).toBe(one.found!.runIndex);
  });

  it('a clean search covers every index exactly once', () => {
    const p = classicPrograms.find((q) => q.name === 'account_2')!;
    const opts = { seed: 3, maxSchedules: 200, machine };
    const one = explore(p.fixed, { ...opts, strategy: 'random' });
    const merged = mergeShards(
      [1, 2, 3].map((i) => exploreShard(p.fixed, { ...opts, shard: { index: i, count: 3 } })),
    );
    expect(merged.found).toBeUndefined();
    expect(merged.schedules).toBe(200);
    expect(merged.steps).toBe(one.steps);
    expect(merged.budget).toBe('schedules');
  });

  it('rejects missing, doubled and mismatched shards, and unshardable strategies', () => {
    const p = classicPrograms.find((q) => q.name === 'account_2')!;
    const s = (i: number, n: number, seed = 1) =>
      exploreShard(p.fixed, { seed, maxSchedules: 20, machine, shard: { index: i, count: n } });
    expect(() => mergeShards([s(1, 2)])).toThrow(/missing shard results: 2\/2/);
    expect(() => mergeShards([s(1, 2), s(1, 2)])).toThrow(/given twice/);
    expect(() => mergeShards([s(1, 2), s(2, 2, 9)])).toThrow(/not of the same exploration/);
    expect(() => s(3, 2)).toThrow(/bad shard 3\/2/);
    expect(() => explore(p.fixed, { strategy: 'pct', shard: { index: 1, count: 2 } })).toThrow(
      /sharding needs strategy 'random'/,
    );
  });
});
