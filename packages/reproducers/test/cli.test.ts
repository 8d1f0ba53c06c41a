import { describe, expect, it } from 'vitest';
import { reproducerIds } from '../src/index.js';
import { cli, cliAsync } from './run-cli.js';

describe('lockstep-repro', () => {
  it('rejects an unknown id with exit status 2, listing the valid ids', () => {
    const r = cli('svc-exit-thread-null-deref', 'no-such-bug');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain("unknown reproducer 'no-such-bug'");
    for (const id of reproducerIds()) expect(r.err).toContain(id);
  });

  it('rejects bad options with exit status 2', () => {
    expect(cli('--budget-ms', '-5').code).toBe(2);
    expect(cli('--budget-ms', 'soon').code).toBe(2);
    expect(cli('--frobnicate').code).toBe(2);
    expect(cli('--replay', 'v1:').code).toBe(2);
    expect(cli('--list', 'svc-exit-thread-null-deref').code).toBe(2);
  });

  it('lists the reproducers as JSON', () => {
    const r = cli('--list', '--json');
    expect(r.code).toBe(0);
    const list = JSON.parse(r.out).reproducers as { id: string; expects: string; kind: string }[];
    expect(list.map((x) => x.id)).toEqual(reproducerIds());
    for (const x of list) expect(x.expects).toBeTruthy();
  });

  it('exits 0 when a reproducer crashes: a crash is data, with its verdict', () => {
    // Not fixed by the lockd series, so it crashes at every step of it.
    const r = cli('suspend-during-granted-ping', '--json');
    expect(r.code).toBe(0);
    const [o] = JSON.parse(r.out).outcomes;
    expect(o.status).toBe('crash');
    expect(o.verdict).toBe('crash');
    expect(o.title).toBe('freezer: lockd refuses to freeze');
    expect(o.explored.foundBy).toBe('default');
    expect(o.explored.schedulesToFind).toBe(1);
    expect(o.explored.phases).toEqual([
      { label: 'default', strategy: 'default', schedules: 1, found: true },
    ]);
    expect(typeof o.ms).toBe('number');
  });

  it('prints a table with each verdict in words, and replays a schedule', () => {
    const t = cli('lockd-freezer-idle', 'suspend-during-granted-ping');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/lockd-freezer-idle\s+clean/);
    expect(t.out).toMatch(
      /\(clean, (searched: [\d,]+ schedules, no failure|exhausted: every schedule with at most 2 preemptions)/,
    );
    expect(t.out).toMatch(/suspend-during-granted-ping\s+crash .*freezer: lockd refuses to freeze/);
    expect(t.out).toContain('(crash (default, 1 schedule))');
    const r = cli('suspend-during-granted-ping', '--replay', 'v1:');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Freezing of tasks failed after 20.00 seconds');
  });

  it('--jobs runs each reproducer in its own process, with the outcomes of one process', async () => {
    // A clean portfolio (every phase runs), a crash on the default schedule, one found by PCT.
    const ids = [
      'lockd-freezer-idle',
      'suspend-during-granted-ping',
      'grant-callback-svc-wake-up-uaf',
    ];
    const noMs = (text: string) =>
      (JSON.parse(text).outcomes as { ms?: number }[]).map(({ ms: _ms, ...o }) => o);
    const one = cli(...ids, '--json');
    const two = await cliAsync(...ids, '--json', '--jobs', '2');
    expect(two.code, two.err).toBe(0);
    expect(noMs(two.out).map((o) => (o as { id: string }).id)).toEqual(ids);
    expect(noMs(two.out)).toEqual(noMs(one.out));
  });

  it('rejects a bad --jobs', () => {
    expect(cli('--jobs', '0').err).toContain("--jobs must be a positive integer or 'auto'");
    expect(cli('--jobs', 'many').code).toBe(2);
    expect(cli('--jobs', '2', '--budget-ms', '100').err).toContain('--jobs takes no --budget-ms');
  });
});
