/** The schedule explorer: random, PCT and bounded exhaustive search, replay and shrinking. */

export { type ClassicProgram, classicPrograms } from './classic.js';
export {
  type ExploreOptions,
  type ExploreProgress,
  type ExploreResult,
  explore,
  type Finding,
  type Replayed,
  type ReplayOptions,
  replay,
  type Strategy,
} from './explorer.js';
export { exploreParallel, type ParallelOptions } from './parallel.js';
export { mixSeed, Prng } from './prng.js';
export type { Scenario } from './run.js';
export {
  formatSchedule,
  MAX_SCHEDULE_DECISIONS,
  parseSchedule,
  SCHEDULE_VERSION,
} from './schedule.js';
export {
  exploreShard,
  mergeShards,
  SHARD_FORMAT,
  type ShardOptions,
  type ShardResult,
} from './shard.js';
export { type ShrinkOptions, type ShrinkResult, shrink } from './shrink.js';
export {
  newestChooser,
  pctChooser,
  ReplayChooser,
  randomChooser,
  rotateChooser,
} from './strategies.js';
