/**
 * The names an ES module bundle imports from other packages and the names it exports, read
 * from the text tsup writes (static `import { a, b as c } from "x"` and `export { ... }`
 * statements). Enough to check that a dependency range only admits versions that export what
 * the dependent uses; `import * as` and `export *` make the answer unknown, and say so.
 */

export interface ModuleImports {
  /** Names imported from each bare specifier (the exporter's names, before `as`). */
  named: Map<string, Set<string>>;
  /** Specifiers imported as a whole (`import * as ns`, default imports): not checkable by name. */
  whole: Set<string>;
}

export interface ModuleExports {
  names: Set<string>;
  /** `export * from "x"` specifiers: the list above is then incomplete. */
  star: string[];
}

const COMMENTS = /^\s*\/\/.*$/gm; // tsup marks each source file with a line comment

function specList(body: string): string[] {
  return body
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Static imports of a module's text, by specifier. */
export function moduleImports(text: string): ModuleImports {
  const src = text.replace(COMMENTS, '');
  const named = new Map<string, Set<string>>();
  const whole = new Set<string>();
  const re = /\bimport\s+([^'";]*?)\s*from\s*["']([^"']+)["']/g;
  for (const m of src.matchAll(re)) {
    const clause = m[1]!.trim();
    const spec = m[2]!;
    const brace = /\{([^}]*)\}/.exec(clause);
    const outside = clause
      .replace(/\{[^}]*\}/, '')
      .replace(/,/g, ' ')
      .trim();
    if (outside !== '' && !/^type$/.test(outside)) whole.add(spec); // default or namespace import
    if (brace) {
      const set = named.get(spec) ?? new Set<string>();
      for (const s of specList(brace[1]!)) {
        const name = s
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)[0]!
          .trim();
        if (name !== '') set.add(name);
      }
      named.set(spec, set);
    }
  }
  // Re-exports import too: `export { a as b } from "x"` needs a; `export * from "x"` needs all.
  for (const m of src.matchAll(/\bexport\s*\{([^}]*)\}\s*from\s*["']([^"']+)["']/g)) {
    const set = named.get(m[2]!) ?? new Set<string>();
    for (const s of specList(m[1]!))
      set.add(
        s
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)[0]!
          .trim(),
      );
    named.set(m[2]!, set);
  }
  for (const m of src.matchAll(
    /\bexport\s*\*\s*(?:as\s+[A-Za-z_$][\w$]*\s*)?from\s*["']([^"']+)["']/g,
  ))
    whole.add(m[1]!);
  return { named, whole };
}

/** The names a module exports (from its `export { ... }` lists and `export const|function`). */
export function moduleExports(text: string): ModuleExports {
  const src = text.replace(COMMENTS, '');
  const names = new Set<string>();
  const star: string[] = [];
  for (const m of src.matchAll(/\bexport\s*\{([^}]*)\}(\s*from\s*["']([^"']+)["'])?/g)) {
    for (const s of specList(m[1]!)) {
      const parts = s.split(/\s+as\s+/);
      names.add((parts[1] ?? parts[0]!).trim());
    }
  }
  for (const m of src.matchAll(
    /\bexport\s+(?:async\s+)?(?:const|let|var|function\*?|class)\s+([A-Za-z_$][\w$]*)/g,
  ))
    names.add(m[1]!);
  for (const m of src.matchAll(
    /\bexport\s*\*\s*(?:as\s+([A-Za-z_$][\w$]*)\s*)?from\s*["']([^"']+)["']/g,
  )) {
    if (m[1] !== undefined) names.add(m[1]);
    else star.push(m[2]!);
  }
  return { names, star };
}
