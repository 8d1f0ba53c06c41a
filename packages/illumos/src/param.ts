/**
 * The illumos machine: the core's Machine with illumos's clock and without Linux's debugging
 * tools, plus the illumos build options the model honours (DEBUG, QUEUEDEBUG).
 *
 * Sources (illumos-gate 096e63b2^): usr/src/uts/common/conf/param.c (`int hz = HZ_DEFAULT;`,
 * 100 ticks a second), usr/src/uts/common/sys/debug.h (ASSERT only `#if DEBUG`),
 * usr/src/uts/common/sys/queue.h (QUEUEDEBUG checks only `#if defined(_KERNEL) &&
 * defined(QUEUEDEBUG)`).
 */
import { Machine, type MachineOptions, machine } from '@lockstep/kernel';

/** The build options of the illumos kernel (or of the files) the model runs. */
export interface illumos_config {
  /** A DEBUG kernel: ASSERT() is compiled in (usr/src/uts/common/sys/debug.h). */
  readonly debug: boolean;
  /**
   * The klmmod files were built with -DQUEUEDEBUG (the blog's first step): TAILQ macros check
   * their links and set a removed element's links to (void *)1.
   */
  readonly queuedebug: boolean;
}

export interface illumos_machine_options
  extends Pick<MachineOptions, 'trace' | 'stacks' | 'livelockSteps'> {
  /** Default false: a production (non-DEBUG) kernel, as the customer's was. */
  debug?: boolean;
  /** Default false: QUEUEDEBUG is off unless a build asks for it. */
  queuedebug?: boolean;
}

/** hz, illumos 096e63b2^:usr/src/uts/common/conf/param.c: HZ_DEFAULT, 100 clock ticks a second. */
export const hz = 100;

const configs = new WeakMap<Machine, illumos_config>();
const DEFAULTS: illumos_config = { debug: false, queuedebug: false };

/**
 * The core's options for an illumos machine, for the explorer's `machine` option: ticks at
 * hz=100, no lockdep, no Linux end-of-run detectors. A scenario then calls illumos_configure().
 */
export const ILLUMOS_MACHINE: Readonly<MachineOptions> = Object.freeze({
  hz,
  lockdep: false,
  detectors: false,
});

/**
 * Model helper: set the build options (DEBUG, QUEUEDEBUG) of a machine, for scenarios the
 * explorer runs on machines it creates (illumos 096e63b2^:usr/src/uts/common/sys/debug.h and
 * usr/src/uts/common/sys/queue.h are where they act).
 */
export function illumos_configure(m: Machine, cfg: Partial<illumos_config>): void {
  configs.set(m, {
    debug: cfg.debug ?? DEFAULTS.debug,
    queuedebug: cfg.queuedebug ?? DEFAULTS.queuedebug,
  });
}

/**
 * Model helper: a Machine configured as an illumos kernel (illumos 096e63b2^:usr/src/uts/common/conf/param.c for hz). Its ticks are lbolt ticks at hz=100; lockdep
 * and the Linux end-of-run detectors (hung task, soft lockup, global deadlock) are off, as
 * illumos has none of them; a panic stops the run (panic_on_warn has nothing to do here).
 */
export function illumos_machine(opts: illumos_machine_options = {}): Machine {
  const mo: MachineOptions = { ...ILLUMOS_MACHINE };
  if (opts.trace !== undefined) mo.trace = opts.trace;
  if (opts.stacks !== undefined) mo.stacks = opts.stacks;
  if (opts.livelockSteps !== undefined) mo.livelockSteps = opts.livelockSteps;
  const m = new Machine(mo);
  const cfg: Partial<illumos_config> = {};
  if (opts.debug !== undefined) Object.assign(cfg, { debug: opts.debug });
  if (opts.queuedebug !== undefined) Object.assign(cfg, { queuedebug: opts.queuedebug });
  illumos_configure(m, cfg);
  return m;
}

/**
 * Model helper: the build options of the running machine (illumos 096e63b2^:usr/src/uts/common/sys/debug.h and usr/src/uts/common/sys/queue.h are where they act).
 * A machine not made by illumos_machine(), or no running machine (setup code), means a
 * non-DEBUG kernel without QUEUEDEBUG.
 */
export function illumos_config_of(m?: Machine): illumos_config {
  if (m === undefined) {
    try {
      m = machine();
    } catch {
      return DEFAULTS; // setup code, outside any run
    }
  }
  return configs.get(m) ?? DEFAULTS;
}
