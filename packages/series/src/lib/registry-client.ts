import { SeriesFailure, SeriesUsageError } from './errors.js';

/** Where a version of a package came from in the series (package.json "lockstep" field). */
export interface StepMeta {
  /** The series whose step published it (absent in stamps of older releases). */
  series?: string;
  step: number;
  patch: string | null;
  subject: string | null;
}

/** The parts of a registry's package document lockstep reads. */
export interface PackumentVersion {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  dist?: { tarball?: string; integrity?: string; shasum?: string };
  lockstep?: StepMeta;
}

export interface Packument {
  name: string;
  'dist-tags'?: Record<string, string>;
  versions: Record<string, PackumentVersion>;
}

/** A registry URL with exactly one trailing slash; anything but http(s) is a usage error. */
export function normaliseRegistryUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SeriesUsageError(`--registry '${url}' is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new SeriesUsageError(`--registry '${url}' is not an http(s) URL`);
  return u.href.endsWith('/') ? u.href : `${u.href}/`;
}

/** The path of a package's document: scoped names keep the @ and escape the slash, as npm does. */
export function packumentUrl(registry: string, name: string): string {
  return `${registry}${name.replace('/', '%2f')}`;
}

async function get(url: string, registry: string): Promise<Response> {
  try {
    return await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new SeriesFailure(`the registry at ${registry} is not reachable`, [
      cause?.code ?? cause?.message ?? (e as Error).message,
    ]);
  }
}

/** Fail clearly when nothing answers at `registry`. */
export async function pingRegistry(registry: string): Promise<void> {
  const res = await get(`${registry}-/ping`, registry);
  await res.arrayBuffer();
}

/** A package's document, or null when the registry does not have the package. */
export async function fetchPackument(registry: string, name: string): Promise<Packument | null> {
  const res = await get(packumentUrl(registry, name), registry);
  if (res.status === 404) {
    await res.arrayBuffer();
    return null;
  }
  if (!res.ok)
    throw new SeriesFailure(`${registry}: GET ${name} answered ${res.status}`, [
      (await res.text()).slice(0, 200),
    ]);
  const doc = (await res.json()) as Packument;
  doc.versions ??= {};
  return doc;
}

/** A version's tarball (for reading an older version's dist). */
export async function fetchTarball(registry: string, v: PackumentVersion): Promise<Buffer> {
  const url = v.dist?.tarball;
  if (url === undefined)
    throw new SeriesFailure(`${v.name}@${v.version} has no tarball URL in ${registry}`);
  const res = await get(url, registry);
  if (!res.ok) throw new SeriesFailure(`${registry}: GET ${url} answered ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** Names of a scope's packages the registry knows (npm search API), or [] when it cannot say. */
export async function searchScope(registry: string, scope: string): Promise<string[]> {
  try {
    const res = await get(
      `${registry}-/v1/search?text=${encodeURIComponent(scope)}&size=250`,
      registry,
    );
    if (!res.ok) return [];
    const body = (await res.json()) as { objects?: { package?: { name?: string } }[] };
    return (body.objects ?? [])
      .map((o) => o.package?.name ?? '')
      .filter((n) => n.startsWith(`${scope}/`))
      .sort();
  } catch {
    return [];
  }
}
