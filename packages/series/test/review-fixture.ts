/**
 * A verify report for the demo series (test/fixtures/demo), for the review and show tests:
 * three steps and three reproducers whose outcomes follow the demo patches' trailers. The two
 * crashes with a picture are real traced runs of the kernel: a use-after-free between three
 * tasks and an AB-BA lock inversion. The cells come from verify's own comparison of these
 * outcomes with the patches' trailers.
 *
 * With `refuted`, patch 2 also carries `Refuted: demo-count` and a paragraph explaining why,
 * and demo-count still crashes after it: the refuted claim the site must show.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFINE_MUTEX,
  kfree,
  kmalloc,
  Machine,
  mutex_lock,
  mutex_unlock,
  SP_PREEMPT,
  SP_SCHEDULE,
  to_chrome_trace,
  to_dmesg,
  trace_lanes,
} from '@lockstep/kernel';
import type { Explored, ReproducerMeta, ReproOutcome } from '../src/lib/reproducers.js';
import { withScratch } from '../src/lib/scratch.js';
import type { StepTrace } from '../src/review/traces.js';
import { readPatchInfos } from '../src/series/steps.js';
import { loadOneSeries } from '../src/series/workspace.js';
import { expectedMatrix } from '../src/verify/expect.js';
import { compare, type StepResult, type VerifyReport, verifyFile } from '../src/verify/verify.js';
import { FIXTURES, makeWorkspace, PATCH2 } from './helpers.js';

/** lockd frees the serv that rpciod then wakes: KASAN use-after-free in svc_wake_up. */
export function uafMachine(): Machine {
  const m = new Machine({ trace: true });
  const mutex = DEFINE_MUTEX('nlmsvc_mutex');
  let serv: { sv_nrthreads: number } | null = null;
  function* svc_wake_up(s: { sv_nrthreads: number }) {
    yield SP_PREEMPT;
    return s.sv_nrthreads;
  }
  m.spawn_user('app', function* () {
    yield* mutex_lock(mutex);
    serv = yield* kmalloc('svc_serv', () => ({ sv_nrthreads: 1 }));
    yield* mutex_unlock(mutex);
  });
  m.spawn_user('lockd', function* () {
    yield* mutex_lock(mutex);
    kfree(serv);
    yield* mutex_unlock(mutex);
  });
  m.spawn_user('rpciod', function* () {
    yield SP_SCHEDULE;
    if (serv !== null) yield* svc_wake_up(serv);
  });
  m.run();
  return m;
}

/** Two tasks take two mutexes in both orders: lockdep's possible deadlock. */
export function abbaMachine(): Machine {
  const m = new Machine({ trace: true });
  const a = DEFINE_MUTEX('nlm_host_mutex');
  const b = DEFINE_MUTEX('f_mutex');
  m.spawn_user('t1', function* () {
    yield* mutex_lock(a);
    yield* mutex_lock(b);
    yield* mutex_unlock(b);
    yield* mutex_unlock(a);
  });
  m.spawn_user('t2', function* () {
    yield* mutex_lock(b);
    yield* mutex_lock(a);
    yield* mutex_unlock(a);
    yield* mutex_unlock(b);
  });
  m.run();
  return m;
}

export const REPROS = [
  { id: 'demo-greeting', title: 'the greeting has no exclamation mark', kind: 'single' },
  { id: 'demo-count', title: 'count() frees what it counts', kind: 'race' },
  { id: 'demo-whisper', title: 'whisper() takes its locks backwards', kind: 'single' },
] as const;

export interface ReviewFixture {
  root: string;
  reportFile: string;
  report: VerifyReport;
  uafTitle: string;
  abbaTitle: string;
}

/** The paragraph of the refuting patch that explains the window (the site quotes it). */
export const REFUTED_WHY =
  'The model refutes the claim that this fixes demo-count: lockd can still kfree the serv\n' +
  'before rpciod calls svc_wake_up on it, because nothing holds a reference across the wake-up.';

/** Patch 2 of the demo series with a `Refuted: demo-count` trailer and its explanation. */
function refutedPatch2(): string {
  const text = readFileSync(join(FIXTURES, PATCH2), 'utf8');
  return text
    .replace(
      '\nFixes-reproducer: demo-count\n',
      `\n${REFUTED_WHY}\n\nFixes-reproducer: demo-count\n`,
    )
    .replace(
      'Introduces-reproducer: demo-whisper\n',
      'Introduces-reproducer: demo-whisper\nRefuted: demo-count\n',
    );
}

/** A portfolio's record for a crash that PCT found after `n` schedules. */
function foundByPct(n: number): Explored {
  return {
    strategy: 'default+pct d=3 seed=1',
    schedules: n,
    exhausted: false,
    foundBy: 'pct d=3 seed=1',
    schedulesToFind: n,
    phases: [
      { label: 'default', strategy: 'default', schedules: 1 },
      {
        label: 'pct d=3 seed=1',
        strategy: 'pct',
        seed: 1,
        depth: 3,
        schedules: n - 1,
        found: true,
      },
    ],
  };
}

function crash(id: string, m: Machine, explored?: Explored): ReproOutcome & { dmesg: string } {
  return {
    id,
    status: 'crash',
    verdict: 'crash',
    title: m.report!.title,
    report: m.report!.text,
    schedule: 'v1:',
    dmesg: to_dmesg(m, { report: false }),
    explored,
  };
}

/** A clean race, every schedule within preemption bound 2 run: clean-exhausted. */
const EXHAUSTED: ReproOutcome['explored'] = {
  strategy: 'exhaustive pb=2',
  schedules: 12,
  exhausted: true,
  preemptionBound: 2,
  space: 'every schedule with at most 2 preemptions (12 schedules)',
  phases: [
    {
      label: 'exhaustive pb=2',
      strategy: 'exhaustive',
      preemptionBound: 2,
      schedules: 12,
      exhausted: true,
      exhaustedBound: 2,
    },
  ],
};

/** A clean single-schedule reproducer: one default run, clean-searched. */
const ONE_SCHEDULE: ReproOutcome['explored'] = {
  strategy: 'default',
  schedules: 1,
  exhausted: false,
  phases: [{ label: 'default', strategy: 'default', schedules: 1 }],
};

function writeTrace(root: string, step: number, id: string, m: Machine): StepTrace {
  const rel = `.lockstep/traces/step-${step}`;
  mkdirSync(join(root, rel), { recursive: true });
  const files = {
    chrome: `${rel}/${id}.trace.json`,
    lanes: `${rel}/${id}.lanes.json`,
    dmesg: `${rel}/${id}.dmesg.txt`,
  };
  writeFileSync(join(root, files.chrome), to_chrome_trace(m, { name: id }));
  writeFileSync(join(root, files.lanes), `${JSON.stringify(trace_lanes(m))}\n`);
  writeFileSync(join(root, files.dmesg), to_dmesg(m));
  return { id, title: m.report!.title, schedule: 'v1:', ...files };
}

/** The demo workspace with .lockstep/verify.json and its traces. */
export async function reviewFixture(opts: { refuted?: boolean } = {}): Promise<ReviewFixture> {
  const root = await makeWorkspace(
    opts.refuted ? { files: { [`patches/${PATCH2}`]: refutedPatch2() } } : {},
  );
  const ws = await loadOneSeries(root);
  const infos = await withScratch((scratch) => readPatchInfos(ws, scratch));
  const uaf = uafMachine();
  const abba = abbaMachine();
  // Which reproducer crashes at which step: as the demo patches' trailers say.
  const crashes: Record<string, number[]> = {
    'demo-greeting': [0],
    'demo-count': opts.refuted ? [0, 1, 2] : [0, 1],
    'demo-whisper': [2],
  };
  const machineOf: Record<string, Machine | null> = {
    'demo-greeting': null,
    'demo-count': uaf,
    'demo-whisper': abba,
  };
  const versions = ['0.1.0', '0.1.1', '0.1.2'];
  const steps: StepResult[] = [0, 1, 2].map((step) => {
    const outcomes: ReproOutcome[] = [];
    const traces: StepTrace[] = [];
    for (const r of REPROS) {
      const m = machineOf[r.id]!;
      if (!crashes[r.id]!.includes(step)) {
        outcomes.push({
          id: r.id,
          status: 'clean',
          verdict: r.kind === 'race' ? 'clean-exhausted' : 'clean-searched',
          explored: r.kind === 'race' ? EXHAUSTED : ONE_SCHEDULE,
        });
      } else if (m === null) {
        outcomes.push({
          id: r.id,
          status: 'crash',
          verdict: 'crash',
          title: 'greeting lacks its mark',
          report: 'lockstep-repro: greeting lacks its mark\n',
          schedule: 'v1:',
        });
      } else {
        outcomes.push(crash(r.id, m, r.kind === 'race' ? foundByPct(17) : undefined));
        traces.push(writeTrace(root, step, r.id, m));
      }
    }
    return {
      step,
      patch: step === 0 ? null : ws.patches[step - 1]!.name,
      subject: step === 0 ? null : infos[step - 1]!.subject,
      versions: { '@demo/alpha': versions[step]! },
      build: { ok: true, ms: 10, tasks: 3, cached: 0, failed: [], detail: [] },
      outcomes,
      traces,
    };
  });
  const expects: Record<string, string> = {
    'demo-greeting': 'greeting lacks its mark',
    'demo-count': uaf.report!.title,
    'demo-whisper': abba.report!.title,
  };
  const metas: ReproducerMeta[] = REPROS.map((r) => ({
    id: r.id,
    title: r.title,
    expects: expects[r.id]!,
    kind: r.kind,
    doc: `${r.title}: a demo reproducer.`,
  }));
  const { rows, problems } = compare(metas, expectedMatrix(infos, metas), steps);
  const report: VerifyReport = {
    series: 'demo',
    title: ws.header.title,
    base: ws.header.base,
    versionLine: ws.versionLine,
    steps,
    reproducers: rows,
    problems,
    ok: problems.length === 0,
    ms: 1234,
    baseHash: ws.baseHash,
    seriesHash: ws.seriesHash,
  };
  const reportFile = join(root, '.lockstep', 'verify.json');
  writeFileSync(reportFile, `${JSON.stringify(verifyFile([report], 1234), null, 2)}\n`);
  return { root, reportFile, report, uafTitle: uaf.report!.title, abbaTitle: abba.report!.title };
}
