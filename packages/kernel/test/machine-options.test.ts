/** MachineOptions.hz and MachineOptions.detectors (added for @lockstep/illumos). */
import { describe, expect, it } from 'vitest';
import { HZ, Machine, schedule, set_current_state, TASK_UNINTERRUPTIBLE } from '../src/index.js';

function* stuck() {
  set_current_state(TASK_UNINTERRUPTIBLE);
  yield* schedule();
}

describe('MachineOptions.hz and .detectors', () => {
  it('hz defaults to HZ and may be set; it sets the default time budget', () => {
    expect(new Machine().hz).toBe(HZ);
    expect(new Machine({ hz: 100 }).hz).toBe(100);
    expect(() => new Machine({ hz: 0 })).toThrow(/hz must be a positive integer/);
  });

  it('with detectors on (default) a task stuck in D state is a hung task', () => {
    const m = new Machine();
    m.spawn_user('stuck', stuck);
    const r = m.run();
    expect(r.outcome).toBe('crash');
    expect(r.report?.kind).toBe('hung-task');
  });

  it('with detectors off the same run ends clean: no hung-task or deadlock report', () => {
    const m = new Machine({ detectors: false });
    m.spawn_user('stuck', stuck);
    const r = m.run();
    expect(r.outcome).toBe('clean');
    expect(r.report).toBeUndefined();
  });
});
