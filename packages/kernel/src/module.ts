/**
 * Modules (kernel/module.c): file-scope statics of a model file, kept per machine, and
 * symbol resolution at load time. A model package's public exports are its EXPORT_SYMBOLs;
 * a module that needs a symbol its provider does not export fails to load the way insmod
 * does ("Unknown symbol ...").
 */
import { ENOENT } from './errno.js';
import { KERN_WARNING, printk } from './printk.js';
import type { Report } from './report.js';
import { current, this_machine, track_opaque } from './sched.js';

/**
 * DEFINE_STATIC(): the `static` variables of one kernel file, created afresh on every
 * machine (so runs never leak state into each other). Call the returned accessor inside a
 * task: `const s = svc_c(); s.nlmsvc_users++`.
 */
export function DEFINE_STATIC<T>(file: string, init: () => T): () => T {
  track_opaque(); // DPOR: effects the core does not record
  const key = Symbol(file);
  return () => this_machine().slot(key, init);
}

/** A module's symbol table: the namespace object of a model package (`import * as sunrpc`). */
export type symbol_table = Readonly<Record<string, unknown>>;

/** What a module needs from each provider it links against. */
export interface module_imports {
  readonly [provider: string]: {
    readonly table: symbol_table;
    readonly symbols: readonly string[];
  };
}

/** The result of resolving a module's imports: 0 and the symbols, or -ENOENT and the missing ones. */
export interface load_result {
  readonly error: number;
  readonly missing: readonly string[];
}

/**
 * resolve_symbols(): link `name` against its providers, as simplify_symbols() does
 * (v2.6.24:kernel/module.c): each undefined symbol of the module's symbol table is resolved
 * once, and one that no provider exports prints KERN_WARNING "%s: Unknown symbol %s" once.
 * Returns -ENOENT when any is missing.
 */
export function resolve_symbols(name: string, imports: module_imports): load_result {
  track_opaque(); // DPOR: effects the core does not record
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const { table, symbols } of Object.values(imports)) {
    for (const sym of symbols) {
      // The ELF symbol table names each undefined symbol once.
      if (seen.has(sym)) continue;
      seen.add(sym);
      if (!Object.hasOwn(table, sym) || table[sym] === undefined) {
        missing.push(sym);
        printk(`${KERN_WARNING}${name}: Unknown symbol ${sym}\n`);
      }
    }
  }
  return { error: missing.length > 0 ? -ENOENT : 0, missing };
}

/**
 * The report for a module that failed to load for an unknown symbol. The kernel's lines were
 * printed by resolve_symbols() (the headline is the first); the text adds only what insmod
 * says in user space, so dmesg does not show them twice.
 */
export function unknown_symbol_report(name: string, missing: readonly string[]): Report {
  track_opaque(); // DPOR: effects the core does not record
  const headline = `${name}: Unknown symbol ${missing[0] ?? '?'}`;
  return {
    kind: 'unknown-symbol',
    title: `Unknown symbol ${missing[0] ?? '?'} in module ${name}`,
    headline,
    text: [
      `insmod: error inserting '${name}.ko': -1 Unknown symbol in module`,
      `(lockstep: insmod's own message; the kernel printed "${headline}"${missing.length > 1 ? ` and ${missing.length - 1} more` : ''})`,
    ].join('\n'),
    task: { pid: current.pid, comm: current.comm },
    backtrace: [],
  };
}
