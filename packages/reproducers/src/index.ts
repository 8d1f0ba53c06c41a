/**
 * @lockstep/reproducers: reproducers for the lockd kthread series (try #6, and as merged in
 * 2.6.25 to 2.6.27). Each drives a simulated 2.6.24 machine only through @lockstep/machine's
 * entry points and the kernel's explorer, and reports crash (with the kernel's report and a
 * replayable schedule) or clean.
 */
export { type ExploreSpec, explored, type ReproDef, single } from './define.js';
export {
  DEFAULT_PORTFOLIO,
  type Phase,
  type Portfolio,
  phaseLabel,
  phasesText,
  portfolioPhases,
  spaceText,
  verdictText,
} from './portfolio.js';
export { formatTable, type Io, main } from './program.js';
export {
  getReproducer,
  replayReproducer,
  reproducerIds,
  reproducers,
  runReproducer,
  runReproducers,
  selectReproducers,
} from './registry.js';
export {
  DEFAULT_SCHEDULE,
  explorePhases,
  outcomeOf,
  reproFinding,
  runOnce,
} from './run.js';
export {
  checkTraceDir,
  type Elided,
  MAX_TRACE_EVENTS,
  TRACE_INDEX,
  type TraceFiles,
  type TraceIndex,
  traceFileNames,
  traceOutcome,
  traceWindow,
  writeTraces,
} from './trace-out.js';
export type {
  Explored,
  Outcome,
  PhaseRun,
  Reproducer,
  ReproKind,
  ReproOptions,
  ReproStatus,
  VerdictKind,
} from './types.js';
