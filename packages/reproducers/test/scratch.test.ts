import { HZ, msleep, to_dmesg, jiffies, explore, replay, shrink, wait_queue_head_t, wait_event_interruptible, wake_up_all } from '@lockstep/kernel';
import { scenario, NlmClient, nfsMount, nfsUmount, openExport, fcntlLock, fcntlUnlock, closeFile } from '@lockstep/machine';
import { it } from 'vitest';

const sc = scenario({}, (m) => {
  const b = new NlmClient(m, 'client-b');
  const wq = new wait_queue_head_t('repro');
  let blocked = false;
  let locked = false;
  let answered = false;
  m.spawn_user('app', function* () {
    yield* nfsMount();
    const f = yield* openExport('/export/file');
    yield* fcntlLock(f);
    locked = true;
    wake_up_all(wq);
    yield* wait_event_interruptible(wq, () => answered);
    yield* fcntlUnlock(f);
    yield* nfsUmount();
    yield* closeFile(f);
  });
  b.spawn('p', function* () {
    yield* wait_event_interruptible(wq, () => locked);
    const r = yield* b.nlmLock({ fh: '/export/file' }, { block: true });
    blocked = r === 'blocked';
    answered = true;
    wake_up_all(wq);
    if (blocked) yield* b.waitGranted({ fh: '/export/file' }, 60 * HZ);
  });
});
it('6 default', () => {
  const r = replay(sc, 'v1:', { machine: { panic_on_warn: false } });
  console.log(r.outcome, r.report?.title, r.warnings.map((w) => w.title), r.steps, r.decisions.length);
  console.log(to_dmesg(r.machine).split('\n').filter(l=>!l.includes(' [<')).slice(0,40).join('\n'));
});
for (const strategy of ['random', 'pct', 'exhaustive'] as const) it(`6 ${strategy}`, () => {
  const t0 = Date.now();
  const res = explore(sc, { strategy, seed: 1, preemptionBound: 2, maxSchedules: 5000, machine: { panic_on_warn: false } });
  console.log(strategy, Date.now() - t0, 'ms', res.schedules, res.exhausted, res.found?.report.title, res.found?.schedule, res.found?.preemptions, res.error?.text.slice(0, 300), res.reports, res.budgetRuns);
  if (res.found) {
    const s = shrink(sc, res.found.schedule, res.found.report.title, { machine: { panic_on_warn: false } });
    console.log('shrunk', s.schedule, s.preemptionsBefore, s.preemptionsAfter, s.runs);
  }
});
