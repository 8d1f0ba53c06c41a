/** Running a scenario once on a fresh machine, and the checks the explorer's entry points share. */
import { LockstepUsageError } from '../report.js';
import {
  type Chooser,
  Machine,
  type MachineOptions,
  type RunResult,
  type StepObserver,
} from '../sched.js';

/** Spawns the tasks of one run on a fresh machine. All state must be created inside it. */
export type Scenario = (m: Machine) => void;

export const DEFAULT_MAX_STEPS = 1_000_000;

/** Run `scenario` once on a fresh machine under `chooser`. */
export function runScenario(
  scenario: Scenario,
  chooser: Chooser,
  machine: MachineOptions | undefined,
  maxSteps: number,
  maxJiffies: number | undefined,
  observer: StepObserver | null = null,
): { r: RunResult; m: Machine } {
  const m = new Machine(machine);
  try {
    scenario(m);
  } catch (e) {
    if (e instanceof LockstepUsageError) throw e;
    const err = e instanceof Error ? e : new Error(String(e));
    const text = `scenario error while setting up the machine: ${err.name}: ${err.message}\n${err.stack ?? ''}`;
    return {
      r: {
        outcome: 'error',
        error: text,
        steps: 0,
        jiffies: 0,
        decisions: [],
        preemptions: 0,
        warnings: [],
      },
      m,
    };
  }
  m.observer = observer;
  const opts: { chooser: Chooser; maxSteps: number; maxJiffies?: number } = { chooser, maxSteps };
  if (maxJiffies !== undefined) opts.maxJiffies = maxJiffies;
  return { r: m.run(opts), m };
}

export function checkScenario(scenario: unknown): void {
  if (typeof scenario !== 'function')
    throw new LockstepUsageError(
      `a scenario must be a function (m: Machine) => void that spawns tasks, got ${typeof scenario}`,
    );
}

export function positive(name: string, v: number, what = ''): void {
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new LockstepUsageError(`${name}${what} must be a positive integer, got ${String(v)}`);
}
