/**
 * Trace export, after the run: a machine created with `new Machine({ trace: true })` records
 * TraceEvents (a push per event, sched.ts emit()); this module turns them into
 *  - to_chrome_trace(): Chrome trace-event JSON that opens in Perfetto and chrome://tracing,
 *  - to_dmesg(): the kernel log as `dmesg` prints it, the report last,
 *  - trace_lanes(): per-task lanes of intervals and points, for an interleaving picture.
 *
 * Virtual clock: 1 jiffy = 1 ms (HZ=1000). Events inside one jiffy are TRACE_EVENT_NS virtual
 * nanoseconds apart in recording order, so a lock taken and released in one step still has a
 * visible, ordered span; a jiffy with more events than fit pushes the next jiffy later, so
 * time never goes backwards. All times in lanes are these virtual nanoseconds.
 */
import { LockstepUsageError } from './report.js';
import { HZ, type Machine, type TraceEvent } from './sched.js';

/** Virtual nanoseconds between two events recorded in the same jiffy. */
export const TRACE_EVENT_NS = 4;
const NS_PER_JIFFY = 1_000_000_000 / HZ;

export type LaneKind = 'run' | 'hold' | 'wait' | 'sleep';

/**
 * A span of one task's life. 'run' (on the CPU) and 'sleep' never overlap each other;
 * 'hold' (a lock from acquire to release) and 'wait' (from the first contend to the acquire,
 * or to whatever the task did instead, e.g. -EINTR) overlap them and may nest.
 */
export interface LaneInterval {
  readonly kind: LaneKind;
  /** 'running' ('softirq' on pid 0); the lock for hold and wait; the wait channel for sleep. */
  readonly name: string;
  /** Virtual ns. */
  readonly start: number;
  readonly end: number;
  readonly startStep: number;
  readonly endStep: number;
  /** Still open when the trace ended (it is closed at the end): a lock never released, ... */
  readonly open: boolean;
  /** hold/wait on the read side of an rwsem. */
  readonly read?: boolean;
}

/** Something that happened at one moment: an allocation, a printk, a wake-up, the report. */
export interface LanePoint {
  /** Virtual ns. */
  readonly at: number;
  readonly step: number;
  readonly jiffies: number;
  /** The TraceEvent type ('alloc', 'printk', 'contend', 'report', ...). */
  readonly type: string;
  readonly name: string;
  readonly args?: Readonly<Record<string, string | number>>;
}

export interface Lane {
  readonly pid: number;
  readonly comm: string;
  /** Sorted by start. */
  readonly intervals: readonly LaneInterval[];
  /** In recording order. */
  readonly points: readonly LanePoint[];
}

/** A wake-up: from the waker at `at` to the start of the woken task's next 'run'. */
export interface LaneFlow {
  readonly from: number;
  readonly to: number;
  readonly at: number;
  readonly step: number;
  readonly arrive: number;
  readonly arriveStep: number;
}

export interface TraceLanes {
  /** One lane per task by pid; pid 0 (timers, end-of-run checks) only when it did something. */
  readonly lanes: readonly Lane[];
  readonly flows: readonly LaneFlow[];
  /** Virtual ns of the first event and just after the last one. */
  readonly start: number;
  readonly end: number;
}

interface Open {
  readonly name: string;
  readonly start: number;
  readonly startStep: number;
  readonly read: boolean;
}

interface LaneBuild {
  pid: number;
  comm: string;
  intervals: LaneInterval[];
  points: LanePoint[];
  sleep: Open | null;
  waits: Map<string, Open>;
  holds: Map<string, Open[]>;
}

/** Types that are not something the task itself did (they do not end a lock wait). */
const NOT_AN_ACTION = new Set(['switch', 'sleep', 'report', 'task_new']);
/** Types that become intervals or flows rather than points. */
const NOT_A_POINT = new Set(['switch', 'sleep', 'acquire']);
const KIND_ORDER: Record<LaneKind, number> = { run: 0, sleep: 1, wait: 2, hold: 3 };

function tracedEvents(m: Machine): readonly TraceEvent[] {
  if (m.trace === null)
    throw new LockstepUsageError(
      'trace export needs a traced run: create the machine with new Machine({ trace: true })',
    );
  return m.trace;
}

/** The virtual time (ns) of every event; see the module comment. */
function virtualClock(evs: readonly TraceEvent[]): number[] {
  const out = new Array<number>(evs.length);
  let jiffy = -1;
  let base = 0;
  let first = 0;
  let last = -TRACE_EVENT_NS;
  for (let i = 0; i < evs.length; i++) {
    const j = evs[i]!.jiffies;
    if (j !== jiffy) {
      jiffy = j;
      base = Math.max(j * NS_PER_JIFFY, last + TRACE_EVENT_NS);
      first = i;
    }
    last = base + (i - first) * TRACE_EVENT_NS;
    out[i] = last;
  }
  return out;
}

/**
 * Per-task lanes of a traced run: the input for an SVG picture of the interleaving (one row
 * per lane, x = virtual time or step). Read-only data; the machine is not changed.
 */
export function trace_lanes(m: Machine): TraceLanes {
  const evs = tracedEvents(m);
  const ns = virtualClock(evs);
  const lanes = new Map<number, LaneBuild>();
  const lane = (pid: number, comm?: string): LaneBuild => {
    let l = lanes.get(pid);
    if (l === undefined) {
      const t = m.tasks.find((x) => x.pid === pid);
      l = {
        pid,
        comm: t?.comm ?? comm ?? (pid === 0 ? 'swapper' : `pid${pid}`),
        intervals: [],
        points: [],
        sleep: null,
        waits: new Map(),
        holds: new Map(),
      };
      lanes.set(pid, l);
    }
    return l;
  };
  const close = (
    l: LaneBuild,
    kind: LaneKind,
    o: Open,
    end: number,
    endStep: number,
    open = false,
  ) => {
    const iv: LaneInterval = {
      kind,
      name: o.name,
      start: o.start,
      end,
      startStep: o.startStep,
      endStep,
      open,
    };
    l.intervals.push(o.read ? { ...iv, read: true } : iv);
  };
  const open = (name: string, at: number, step: number, read = false): Open => ({
    name,
    start: at,
    startStep: step,
    read,
  });

  const flows: LaneFlow[] = [];
  const pendingFlows = new Map<number, Array<{ from: number; at: number; step: number }>>();
  // The task on the CPU (in a holder: closures change it, which narrowing would not see).
  const cpu: { run: { l: LaneBuild; o: Open } | null } = { run: null };
  // pid 0 activity (timer functions, end-of-run checks): a 'run' from its first to last event.
  let idle: { o: Open; last: number; lastStep: number } | null = null;
  const stopRunning = (at: number, step: number) => {
    if (cpu.run !== null) close(cpu.run.l, 'run', cpu.run.o, at, step);
    cpu.run = null;
  };
  const stopIdle = () => {
    if (idle !== null) close(lane(0), 'run', idle.o, idle.last + TRACE_EVENT_NS, idle.lastStep);
    idle = null;
  };
  const report = m.report;
  let reported = false;

  for (let i = 0; i < evs.length; i++) {
    const ev = evs[i]!;
    const at = ns[i]!;
    const l = lane(ev.pid, ev.type === 'task_new' ? ev.name : undefined);
    if (ev.pid === 0) {
      stopRunning(at, ev.step); // the CPU is in softirq/idle context: no task runs
      if (idle === null) idle = { o: open('softirq', at, ev.step), last: at, lastStep: ev.step };
      else {
        idle.last = at;
        idle.lastStep = ev.step;
      }
    } else stopIdle();

    // A task waiting for a lock that does anything else has stopped waiting (e.g. -EINTR).
    if (!NOT_AN_ACTION.has(ev.type) && l.waits.size > 0) {
      for (const [lock, o] of l.waits) {
        if (ev.name === lock && (ev.type === 'contend' || ev.type === 'acquire')) continue;
        close(l, 'wait', o, at, ev.step);
        l.waits.delete(lock);
      }
    }

    switch (ev.type) {
      case 'switch': {
        if (cpu.run?.l === l) break;
        stopRunning(at, ev.step);
        if (l.sleep !== null) close(l, 'sleep', l.sleep, at, ev.step); // woken without a wakeup event
        l.sleep = null;
        cpu.run = { l, o: open('running', at, ev.step) };
        for (const f of pendingFlows.get(ev.pid) ?? [])
          flows.push({ ...f, to: ev.pid, arrive: at, arriveStep: ev.step });
        pendingFlows.delete(ev.pid);
        break;
      }
      case 'sleep':
        if (cpu.run?.l === l) stopRunning(at, ev.step);
        l.sleep = open(ev.name === '' ? 'sleeping' : ev.name, at, ev.step);
        break;
      case 'task_exit':
        if (cpu.run?.l === l) stopRunning(at, ev.step);
        if (l.sleep !== null) close(l, 'sleep', l.sleep, at, ev.step);
        l.sleep = null;
        pendingFlows.delete(ev.pid);
        break;
      case 'wakeup': {
        const target = Number(ev.args?.target ?? Number.NaN);
        if (Number.isNaN(target)) break;
        const t = lanes.get(target);
        if (t?.sleep) {
          close(t, 'sleep', t.sleep, at, ev.step);
          t.sleep = null;
        }
        // A flow needs a slice to start from: the waker's run (or pid 0's softirq).
        const fromRunning = cpu.run?.l === l;
        if (target !== ev.pid && (fromRunning || ev.pid === 0)) {
          const list = pendingFlows.get(target) ?? [];
          list.push({ from: ev.pid, at, step: ev.step });
          pendingFlows.set(target, list);
        }
        break;
      }
      case 'contend':
        if (!l.waits.has(ev.name))
          l.waits.set(ev.name, open(ev.name, at, ev.step, ev.args?.read === 1));
        break;
      case 'acquire': {
        const w = l.waits.get(ev.name);
        if (w !== undefined) {
          close(l, 'wait', w, at, ev.step);
          l.waits.delete(ev.name);
        }
        const stack = l.holds.get(ev.name) ?? [];
        stack.push(open(ev.name, at, ev.step, ev.args?.read === 1));
        l.holds.set(ev.name, stack);
        break;
      }
      case 'release': {
        // The releaser's own hold; else the oldest holder's (an rwsem released by another task).
        let owner: LaneBuild | undefined = l.holds.get(ev.name)?.length ? l : undefined;
        if (owner === undefined) {
          let oldest = Number.POSITIVE_INFINITY;
          for (const x of lanes.values()) {
            const s = x.holds.get(ev.name);
            if (s?.length && s[0]!.start < oldest) {
              oldest = s[0]!.start;
              owner = x;
            }
          }
        }
        if (owner !== undefined) {
          close(owner, 'hold', owner.holds.get(ev.name)!.pop()!, at, ev.step);
          continue; // matched: the hold's end shows it
        }
        break; // unmatched (a trylock does not record its acquire): keep it as a point
      }
      case 'report':
        if (reported) continue; // run() may record the same report twice
        reported = true;
        break;
    }
    if (NOT_A_POINT.has(ev.type)) continue;
    let args = ev.args;
    if (ev.type === 'report' && report !== null && report.title === ev.name)
      args = { kind: report.kind, headline: report.headline };
    const p: LanePoint = { at, step: ev.step, jiffies: ev.jiffies, type: ev.type, name: ev.name };
    l.points.push(args === undefined ? p : { ...p, args });
  }

  const last = evs.length > 0 ? ns[evs.length - 1]! : 0;
  const end = last + TRACE_EVENT_NS;
  const endStep = m.steps;
  stopIdle();
  if (cpu.run !== null) close(cpu.run.l, 'run', cpu.run.o, end, endStep, true);
  for (const l of lanes.values()) {
    if (l.sleep !== null) close(l, 'sleep', l.sleep, end, endStep, true);
    for (const o of l.waits.values()) close(l, 'wait', o, end, endStep, true);
    for (const s of l.holds.values()) for (const o of s) close(l, 'hold', o, end, endStep, true);
  }
  // A report made without a trace event (end-of-run checks set m.report directly).
  if (report !== null && !reported) {
    const l = lane(report.task?.pid ?? 0);
    l.points.push({
      at: end,
      step: endStep,
      jiffies: m.jiffies,
      type: 'report',
      name: report.title,
      args: { kind: report.kind, headline: report.headline },
    });
  }
  for (const t of m.tasks) lane(t.pid);

  const out: Lane[] = [...lanes.values()]
    .sort((a, b) => a.pid - b.pid)
    .map((l) => ({
      pid: l.pid,
      comm: l.comm,
      intervals: l.intervals.sort(
        (a, b) => a.start - b.start || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || b.end - a.end,
      ),
      points: l.points,
    }));
  return { lanes: out, flows, start: evs.length > 0 ? ns[0]! : 0, end };
}

export interface ChromeTraceOptions {
  /** The process name the machine shows as (default 'lockstep'). */
  name?: string;
  /** The process id of the machine in the trace (default 1); tasks are its threads. */
  pid?: number;
}

type ChromeEvent = Record<string, unknown>;

const POINT_CATEGORY: Readonly<Record<string, string>> = {
  alloc: 'slab',
  free: 'slab',
  failslab: 'slab',
  printk: 'printk',
  wakeup: 'sched',
  complete: 'sched',
  task_new: 'sched',
  task_exit: 'sched',
  contend: 'lock',
  release: 'lock',
  signal: 'signal',
  frozen: 'freezer',
  syscall: 'syscall',
  sysret: 'syscall',
  report: 'report',
};

/**
 * Chrome trace-event JSON (object format) of a traced run, for ui.perfetto.dev or
 * chrome://tracing. One process is the machine; each task is a thread (tid = pid) whose lane
 * shows X slices 'running' and 'sleeping: <wchan>'. Lock holds and lock waits are async spans
 * (cat 'lock' / 'lock_wait', one track per task and lock), syscalls too (cat 'syscall');
 * allocations, frees, printk, signals, wake-ups and the report (named by its title) are
 * instants on the task's lane; a flow arrow goes from each waker to the woken task's next
 * slice. ts is virtual time in microseconds (see the module comment). Same run, same bytes.
 */
export function to_chrome_trace(m: Machine, opts: ChromeTraceOptions = {}): string {
  const pid = opts.pid ?? 1;
  const pname = opts.name ?? 'lockstep';
  if (!Number.isSafeInteger(pid) || pid < 0)
    throw new LockstepUsageError(
      `to_chrome_trace: pid must be a non-negative integer, got ${String(pid)}`,
    );
  if (typeof pname !== 'string' || pname === '')
    throw new LockstepUsageError('to_chrome_trace: name must be a non-empty string');
  const tl = trace_lanes(m);
  const timed: Array<{ ns: number; e: ChromeEvent }> = [];
  const at = (ns: number, e: ChromeEvent) => timed.push({ ns, e });
  const us = (ns: number) => ns / 1000;
  const meta: ChromeEvent[] = [{ name: 'process_name', ph: 'M', pid, args: { name: pname } }];

  for (const l of tl.lanes) {
    const tid = l.pid;
    meta.push(
      { name: 'thread_name', ph: 'M', pid, tid, args: { name: `${l.comm}/${l.pid}` } },
      { name: 'thread_sort_index', ph: 'M', pid, tid, args: { sort_index: l.pid } },
    );
    for (const iv of l.intervals) {
      const args: Record<string, number> = { step: iv.startStep, end_step: iv.endStep };
      if (iv.read) args.read = 1;
      if (iv.open) args.unfinished = 1;
      if (iv.kind === 'run' || iv.kind === 'sleep') {
        const name =
          iv.kind === 'run' ? iv.name : iv.name === 'sleeping' ? iv.name : `sleeping: ${iv.name}`;
        at(iv.start, {
          name,
          cat: 'sched',
          ph: 'X',
          ts: us(iv.start),
          // 1 ns short: a viewer that rounds microseconds down to whole nanoseconds then
          // still cannot make two touching slices overlap.
          dur: us(iv.end - iv.start - 1),
          pid,
          tid,
          args,
        });
        continue;
      }
      const cat = iv.kind === 'hold' ? 'lock' : 'lock_wait';
      const name = iv.kind === 'hold' ? iv.name : `wait ${iv.name}`;
      const id2 = { local: `${tid}:${iv.name}` };
      at(iv.start, { name, cat, ph: 'b', ts: us(iv.start), pid, tid, id2, args });
      at(iv.end, { name, cat, ph: 'e', ts: us(iv.end), pid, tid, id2 });
    }
    const syscalls: LanePoint[] = [];
    for (const p of l.points) {
      if (p.type === 'syscall') {
        syscalls.push(p);
        continue;
      }
      if (p.type === 'sysret' && syscalls.at(-1)?.name === p.name) {
        const s = syscalls.pop()!;
        syscallSpan(at, pid, tid, s, p.at, { step: s.step, end_step: p.step });
        continue;
      }
      const args: Record<string, string | number> = { step: p.step, ...p.args };
      at(p.at, {
        name: pointName(p, tl),
        cat: POINT_CATEGORY[p.type] ?? p.type,
        ph: 'i',
        ts: us(p.at),
        pid,
        tid,
        s: 't',
        args,
      });
    }
    for (const s of syscalls)
      syscallSpan(at, pid, tid, s, tl.end, { step: s.step, end_step: m.steps, unfinished: 1 });
  }

  // Flow arrows bind to the slice enclosing them: start just inside the waker's slice, end
  // just inside the woken task's next 'running' slice (events are TRACE_EVENT_NS apart).
  tl.flows.forEach((f, i) => {
    const flow = { name: 'wakeup', cat: 'wakeup', id: i + 1, pid };
    at(f.at + 1, { ...flow, ph: 's', ts: us(f.at + 1), tid: f.from });
    at(f.arrive + 1, { ...flow, ph: 'f', bp: 'e', ts: us(f.arrive + 1), tid: f.to });
  });

  timed.sort((a, b) => a.ns - b.ns); // stable: same time keeps recording order
  const events = [...meta, ...timed.map((t) => t.e)].map((e) => JSON.stringify(e));
  const other = {
    clock: `virtual: 1 jiffy = ${NS_PER_JIFFY / 1000} us (HZ=${HZ}), events ${TRACE_EVENT_NS} ns apart`,
    steps: m.steps,
    jiffies: m.jiffies,
    report: m.report?.title ?? '',
  };
  return (
    `{"traceEvents":[\n${events.join(',\n')}\n],\n` +
    `"displayTimeUnit":"ns",\n"otherData":${JSON.stringify(other)}}\n`
  );
}

function syscallSpan(
  at: (ns: number, e: ChromeEvent) => void,
  pid: number,
  tid: number,
  s: LanePoint,
  end: number,
  args: Record<string, number>,
): void {
  const base = { name: s.name, cat: 'syscall' };
  const id2 = { local: `${tid}` };
  at(s.at, { ...base, ph: 'b', ts: s.at / 1000, pid, tid, id2, args });
  at(end, { ...base, ph: 'e', ts: end / 1000, pid, tid, id2 });
}

function pointName(p: LanePoint, tl: TraceLanes): string {
  switch (p.type) {
    case 'printk':
      return p.name === '' ? '(empty line)' : p.name;
    case 'report':
      return p.name;
    case 'wakeup':
    case 'signal': {
      const target = Number(p.args?.target);
      const comm = tl.lanes.find((l) => l.pid === target)?.comm ?? `pid${target}`;
      return p.type === 'wakeup'
        ? `wakeup ${comm}/${target}`
        : `signal ${p.name} -> ${comm}/${target}`;
    }
    default:
      return `${p.type} ${p.name}`;
  }
}

export interface DmesgOptions {
  /** Append the report, as the kernel prints it after the log (default true). */
  report?: boolean;
}

/** "[    1.234000] " for a jiffies value: dmesg's seconds.microseconds since boot. */
export function dmesg_timestamp(j: number): string {
  const usec = j * (1_000_000 / HZ);
  const secs = Math.floor(usec / 1_000_000);
  const frac = usec - secs * 1_000_000;
  return `[${String(secs).padStart(5, ' ')}.${String(frac).padStart(6, '0')}] `;
}

/**
 * The kernel log as `dmesg` prints it: each printk line with its timestamp, then the report
 * (m.report), every line stamped with the time it happened. Needs no trace. The log does not
 * record whether a printk ended its line, so a continued line shows as two lines.
 */
export function to_dmesg(m: Machine, opts: DmesgOptions = {}): string {
  const out = m.log.map((l) => dmesg_timestamp(l.jiffies) + l.text);
  const r = m.report;
  if (r !== null && opts.report !== false) {
    const ev = m.trace?.find((e) => e.type === 'report');
    const stamp = dmesg_timestamp(ev?.jiffies ?? m.jiffies);
    for (const line of r.text.split('\n')) out.push(stamp + line);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
