// Scenario modules for lockstep-explore and the bench: the classic suite, from the build.
import { classicPrograms } from '../dist/index.js';

const by = (name) => classicPrograms.find((p) => p.name === name);
/** A clean search (the fixed variant): every shard runs its whole budget. */
export const scenario = by('account_3').fixed;
/** A buggy one: the find a single process reports. */
export const buggy = by('stack_3').scenario;
