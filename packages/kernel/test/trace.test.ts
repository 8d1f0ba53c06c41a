import { describe, expect, it } from 'vitest';
import {
  DEFINE_MUTEX,
  dmesg_timestamp,
  HZ,
  jiffies,
  kfree,
  kmalloc,
  LockstepUsageError,
  Machine,
  msleep,
  mutex_lock,
  mutex_lock_interruptible,
  mutex_unlock,
  printk,
  type Report,
  SIGKILL,
  sched_point,
  schedule_timeout_uninterruptible,
  send_sig,
  TRACE_EVENT_NS,
  type task_struct,
  to_chrome_trace,
  to_dmesg,
  trace_lanes,
} from '../src/index.js';

interface Ev {
  name: string;
  cat?: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  id?: number;
  id2?: { local: string };
  s?: string;
  bp?: string;
  args?: Record<string, unknown>;
}

/** Whole virtual nanoseconds of a Chrome ts/dur in microseconds. */
const ns = (us: number) => Math.round(us * 1000);

/** Two tasks on one mutex: the holder sleeps with it held, so the waiter contends. */
function mutexScenario(): { m: Machine; holder: task_struct; waiter: task_struct } {
  const m = new Machine({ trace: true });
  const lock = DEFINE_MUTEX('nlmsvc_mutex');
  const holder = m.spawn_user('holder', function* () {
    yield* mutex_lock(lock);
    printk('holder: got nlmsvc_mutex\n');
    yield* msleep(10);
    yield* mutex_unlock(lock);
  });
  const waiter = m.spawn_user('waiter', function* () {
    yield* mutex_lock(lock);
    printk('waiter: got nlmsvc_mutex\n');
    yield* mutex_unlock(lock);
  });
  expect(m.run().outcome).toBe('clean');
  return { m, holder, waiter };
}

/** printk from two tasks at different times, then a use-after-free. */
function kasanScenario(): { m: Machine; report: Report; printedAt: Map<string, number> } {
  const m = new Machine({ trace: true });
  const printedAt = new Map<string, number>();
  const say = (text: string) => {
    printedAt.set(text, jiffies);
    printk(`${text}\n`);
  };
  function* nlm_read_host(host: { h_count: number }) {
    yield* sched_point();
    return host.h_count;
  }
  m.spawn_user('lockd', function* () {
    say('lockd: starting');
    const host = yield* kmalloc('nlm_host', () => ({ h_count: 1 }));
    yield* msleep(1500);
    say('lockd: releasing host');
    kfree(host);
    yield* msleep(20);
    say('lockd: reading host');
    yield* nlm_read_host(host!);
  });
  m.spawn_user('mount', function* () {
    yield* msleep(700);
    say('mount: waiting');
  });
  const r = m.run();
  expect(r.outcome).toBe('crash');
  return { m, report: r.report!, printedAt };
}

function parse(json: string): { traceEvents: Ev[]; displayTimeUnit: string } {
  return JSON.parse(json) as { traceEvents: Ev[]; displayTimeUnit: string };
}

describe('to_chrome_trace', () => {
  it('draws a contended mutex: lanes, slices, hold span, contention and the wake-up flow', () => {
    const { m, holder, waiter } = mutexScenario();
    const doc = parse(to_chrome_trace(m));
    expect(typeof doc.displayTimeUnit).toBe('string');
    const evs = doc.traceEvents;
    const pid = evs.find((e) => e.name === 'process_name')!.pid;
    expect(evs.every((e) => e.pid === pid)).toBe(true);

    // thread_name metadata for both tasks: tid = task pid, named comm/pid
    for (const t of [holder, waiter]) {
      const meta = evs.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.tid === t.pid);
      expect(meta.map((e) => e.args?.name)).toEqual([`${t.comm}/${t.pid}`]);
    }

    // X slices never overlap within a lane, and both tasks ran
    const xs = evs.filter((e) => e.ph === 'X');
    for (const tid of new Set(xs.map((e) => e.tid))) {
      const lane = xs.filter((e) => e.tid === tid).sort((a, b) => a.ts - b.ts);
      for (let i = 1; i < lane.length; i++)
        expect(ns(lane[i - 1]!.ts) + ns(lane[i - 1]!.dur!)).toBeLessThanOrEqual(ns(lane[i]!.ts));
    }
    const runs = (t: task_struct) => xs.filter((e) => e.tid === t.pid && e.name === 'running');
    expect(runs(holder).length).toBeGreaterThan(0);
    expect(runs(waiter).length).toBeGreaterThan(0);

    // hold spans: matching b/e per async track, in order; the holder's ends before the waiter's
    const spans = (cat: string, t: task_struct) => {
      const be = evs.filter(
        (e) => e.cat === cat && e.tid === t.pid && (e.ph === 'b' || e.ph === 'e'),
      );
      const out: Array<{ start: number; end: number; name: string }> = [];
      const open: Ev[] = [];
      for (const e of be) {
        if (e.ph === 'b') open.push(e);
        else {
          const b = open.pop()!;
          expect(b).toBeDefined();
          expect(b.name).toBe(e.name);
          expect(b.id2).toEqual(e.id2);
          expect(e.ts).toBeGreaterThan(b.ts);
          out.push({ start: b.ts, end: e.ts, name: b.name });
        }
      }
      expect(open).toEqual([]);
      return out;
    };
    const held = spans('lock', holder);
    const got = spans('lock', waiter);
    expect(held.map((s) => s.name)).toEqual(['nlmsvc_mutex']);
    expect(got.map((s) => s.name)).toEqual(['nlmsvc_mutex']);
    expect(held[0]!.end).toBeLessThanOrEqual(got[0]!.start);

    // the waiter contended while the holder held it, and waited until it got the lock
    const contend = evs.filter((e) => e.ph === 'i' && e.tid === waiter.pid && e.cat === 'lock');
    expect(contend).toHaveLength(1);
    expect(contend[0]!.name).toContain('nlmsvc_mutex');
    expect(contend[0]!.ts).toBeGreaterThan(held[0]!.start);
    expect(contend[0]!.ts).toBeLessThan(held[0]!.end);
    const waited = spans('lock_wait', waiter);
    expect(waited).toHaveLength(1);
    expect(waited[0]!.start).toBe(contend[0]!.ts);
    expect(waited[0]!.end).toBe(got[0]!.start);
    const asleep = xs.filter((e) => e.tid === waiter.pid && e.name.includes('nlmsvc_mutex'));
    expect(asleep).toHaveLength(1);

    // the unlock wakes the waiter: a flow from the holder's slice into the waiter's next slice
    const inside = (e: Ev, tid: number) =>
      xs.some((x) => x.tid === tid && ns(x.ts) < ns(e.ts) && ns(e.ts) < ns(x.ts) + ns(x.dur!));
    const starts = evs.filter((e) => e.ph === 's' && e.tid === holder.pid);
    const flow = starts
      .map((s) => [s, evs.find((f) => f.ph === 'f' && f.id === s.id)] as const)
      .find(([, f]) => f?.tid === waiter.pid);
    expect(flow).toBeDefined();
    const [s, f] = flow!;
    expect(f!.ts).toBeGreaterThanOrEqual(s.ts);
    expect(s.ts).toBeGreaterThanOrEqual(held[0]!.end);
    expect(inside(s, holder.pid)).toBe(true);
    expect(inside(f!, waiter.pid)).toBe(true);
    expect(f!.bp).toBe('e');
    expect(f!.ts).toBeLessThan(got[0]!.start);
  });

  it('marks the KASAN report instant with the crash title', () => {
    const { m, report } = kasanScenario();
    expect(report.kind).toBe('kasan-use-after-free');
    const evs = parse(to_chrome_trace(m)).traceEvents;
    const reports = evs.filter((e) => e.cat === 'report');
    expect(reports).toHaveLength(1);
    expect(reports[0]!.ph).toBe('i');
    expect(reports[0]!.name).toBe(report.title);
    expect(reports[0]!.name).toMatch(/^KASAN: use-after-free Read in /);
    expect(reports[0]!.tid).toBe(report.task!.pid);
    expect(reports[0]!.args?.headline).toBe(report.headline);
    // the allocation and the free of the same object come before it
    const slab = evs.filter((e) => e.cat === 'slab');
    expect(slab.map((e) => e.name)).toEqual(['alloc nlm_host', 'free nlm_host']);
    expect(slab[0]!.args?.addr).toBe(slab[1]!.args?.addr);
    expect(slab[1]!.ts).toBeLessThan(reports[0]!.ts);
  });

  it('is deterministic: the same run twice gives the same bytes', () => {
    expect(to_chrome_trace(mutexScenario().m)).toBe(to_chrome_trace(mutexScenario().m));
    const a = kasanScenario().m;
    const b = kasanScenario().m;
    expect(to_chrome_trace(a, { name: 'lockd' })).toBe(to_chrome_trace(b, { name: 'lockd' }));
    expect(to_dmesg(a)).toBe(to_dmesg(b));
    expect(JSON.stringify(trace_lanes(a))).toBe(JSON.stringify(trace_lanes(b)));
  });

  it('refuses an untraced machine and bad options, leaving the machine alone', () => {
    const m = new Machine();
    m.spawn_user('t', function* () {
      yield* sched_point();
      printk('hello\n');
    });
    m.run();
    expect(() => to_chrome_trace(m)).toThrow(LockstepUsageError);
    expect(() => trace_lanes(m)).toThrow(LockstepUsageError);
    expect(to_dmesg(m)).toContain('hello');
    const t = mutexScenario().m;
    const before = JSON.stringify(t.trace);
    expect(() => to_chrome_trace(t, { pid: -1 })).toThrow(LockstepUsageError);
    expect(() => to_chrome_trace(t, { name: '' })).toThrow(LockstepUsageError);
    expect(JSON.stringify(t.trace)).toBe(before);
  });
});

describe('to_dmesg', () => {
  const line = /^\[ *(\d+)\.(\d{6})\] (.*)$/;

  it('prints the log in order with monotonic timestamps, then the report', () => {
    const { m, report, printedAt } = kasanScenario();
    const lines = to_dmesg(m).replace(/\n$/, '').split('\n');
    const parsed = lines.map((l) => {
      const g = line.exec(l);
      expect(g, l).not.toBeNull();
      return { us: Number(g![1]) * 1e6 + Number(g![2]), text: g![3]! };
    });
    for (let i = 1; i < parsed.length; i++)
      expect(parsed[i]!.us).toBeGreaterThanOrEqual(parsed[i - 1]!.us);

    // every printk, in the log's order, stamped with the jiffies it was printed at
    const texts = m.log.map((l) => l.text);
    expect(parsed.slice(0, texts.length).map((p) => p.text)).toEqual(texts);
    expect([...printedAt.keys()].every((t) => texts.includes(t))).toBe(true);
    for (const p of parsed.slice(0, texts.length)) {
      const j = printedAt.get(p.text);
      if (j !== undefined) expect(p.us).toBe((j * 1e6) / HZ);
    }
    expect(texts.indexOf('mount: waiting')).toBeLessThan(texts.indexOf('lockd: releasing host'));

    // then the whole report, stamped no earlier than the last printk, headline included
    const tail = parsed.slice(texts.length).map((p) => p.text);
    expect(tail).toEqual(report.text.split('\n'));
    expect(tail).toContain(report.headline);
    expect(parsed.at(-1)!.us).toBeGreaterThanOrEqual(parsed[texts.length - 1]!.us);
    expect(to_dmesg(m, { report: false }).split('\n')).not.toContain(
      `${dmesg_timestamp(m.jiffies)}${report.headline}`,
    );
  });

  it('formats timestamps as the kernel does: %5lu.%06lu seconds', () => {
    expect(dmesg_timestamp(0)).toBe('[    0.000000] ');
    expect(dmesg_timestamp(1234)).toBe('[    1.234000] ');
    expect(dmesg_timestamp(123_456_789)).toBe('[123456.789000] ');
  });
});

describe('trace_lanes', () => {
  it('gives each task a lane of run/sleep/wait/hold intervals and wake-up flows', () => {
    const { m, holder, waiter } = mutexScenario();
    const tl = trace_lanes(m);
    const lane = (t: task_struct) => tl.lanes.find((l) => l.pid === t.pid)!;
    for (const t of [holder, waiter]) {
      const l = lane(t);
      expect(l.comm).toBe(t.comm);
      // run and sleep never overlap; intervals are sorted and inside the trace
      const rs = l.intervals.filter((i) => i.kind === 'run' || i.kind === 'sleep');
      for (let i = 1; i < rs.length; i++) expect(rs[i - 1]!.end).toBeLessThanOrEqual(rs[i]!.start);
      for (const iv of l.intervals) {
        expect(iv.end).toBeGreaterThan(iv.start);
        expect(iv.start).toBeGreaterThanOrEqual(tl.start);
        expect(iv.end).toBeLessThanOrEqual(tl.end);
        expect(iv.open).toBe(false);
      }
    }
    const hold = (t: task_struct) => lane(t).intervals.filter((i) => i.kind === 'hold');
    expect(hold(holder).map((i) => i.name)).toEqual(['nlmsvc_mutex']);
    const wait = lane(waiter).intervals.filter((i) => i.kind === 'wait');
    expect(wait).toHaveLength(1);
    expect(wait[0]!.end).toBe(hold(waiter)[0]!.start);
    expect(hold(holder)[0]!.end).toBeLessThanOrEqual(hold(waiter)[0]!.start);
    const sleep = lane(waiter).intervals.find((i) => i.kind === 'sleep')!;
    expect(sleep.name).toBe('mutex nlmsvc_mutex');
    expect(sleep.start).toBeGreaterThanOrEqual(wait[0]!.start);
    expect(tl.flows.some((f) => f.from === holder.pid && f.to === waiter.pid)).toBe(true);
    for (const f of tl.flows) expect(f.arrive).toBeGreaterThanOrEqual(f.at);
  });

  it('ends the run slice when a task sleeps, even if it is the next to run again', () => {
    const m = new Machine({ trace: true });
    const t = m.spawn_user('sleeper', function* () {
      yield* sched_point();
      yield* msleep(5);
      printk('awake\n');
    });
    expect(m.run().outcome).toBe('clean');
    const l = trace_lanes(m).lanes.find((x) => x.pid === t.pid)!;
    const rs = l.intervals.filter((i) => i.kind === 'run' || i.kind === 'sleep');
    expect(rs.map((i) => i.kind)).toEqual(['run', 'sleep', 'run']);
    const awake = l.points.find((p) => p.name === 'awake')!;
    expect(awake.jiffies).toBeGreaterThanOrEqual(5);
    expect(rs[0]!.end).toBeLessThan(awake.jiffies * 1_000_000);
    expect(rs[2]!.start).toBeGreaterThanOrEqual(awake.jiffies * 1_000_000);
  });

  it('ends a lock wait that a signal interrupts at what the task does next', () => {
    const m = new Machine({ trace: true });
    const lock = DEFINE_MUTEX('nlmsvc_mutex');
    let ret = 0;
    m.spawn_user('holder', function* () {
      yield* mutex_lock(lock);
      yield* msleep(10);
      yield* mutex_unlock(lock);
    });
    const waiter = m.spawn_user('waiter', function* () {
      ret = yield* mutex_lock_interruptible(lock);
      printk('waiter: interrupted\n');
    });
    m.spawn_user('killer', function* () {
      yield* msleep(5);
      send_sig(SIGKILL, waiter, 0);
    });
    expect(m.run().outcome).toBe('clean');
    expect(ret).toBeLessThan(0);
    const l = trace_lanes(m).lanes.find((x) => x.pid === waiter.pid)!;
    const waits = l.intervals.filter((i) => i.kind === 'wait');
    expect(waits).toHaveLength(1);
    expect(waits[0]!.open).toBe(false);
    expect(waits[0]!.end).toBe(l.points.find((p) => p.type === 'printk')!.at);
    expect(l.intervals.filter((i) => i.kind === 'hold')).toEqual([]);
  });

  it('keeps virtual time monotonic when one jiffy holds more events than fit in it', () => {
    const m = new Machine({ trace: true, stacks: false }); // stacks off: 250k lock ops stay fast
    const lock = DEFINE_MUTEX('busy');
    const perJiffy = 1_000_000 / TRACE_EVENT_NS; // events that fit in one jiffy
    m.spawn_user('busy', function* () {
      for (let i = 0; i < perJiffy / 2 + 100; i++) {
        yield* mutex_lock(lock);
        yield* mutex_unlock(lock);
      }
      yield* schedule_timeout_uninterruptible(1); // the next events are in jiffy 1
      printk('after\n');
    });
    expect(m.run().outcome).toBe('clean');
    expect(m.trace!.filter((e) => e.jiffies === 0).length).toBeGreaterThan(perJiffy);
    expect(m.trace!.find((e) => e.name === 'after')!.jiffies).toBe(1);
    const tl = trace_lanes(m);
    const l = tl.lanes.find((x) => x.comm === 'busy')!;
    const holds = l.intervals.filter((i) => i.kind === 'hold');
    let ordered = true; // one expect, not one per hold: 125k expects would be slow
    for (let i = 1; i < holds.length; i++) ordered &&= holds[i]!.start > holds[i - 1]!.end;
    expect(ordered).toBe(true);
    const after = l.points.find((p) => p.name === 'after')!;
    expect(after.at).toBeGreaterThan(holds.at(-1)!.end);
  });
});
