// cgroupsPath resolution (pure functions): runc's cleaning rule, the systemd
// "slice:prefix:name" form, and per-hierarchy directories.
import path from 'node:path';
import { TsrunError } from '../../common/errors';
import type { Hierarchy } from './host';

/** Prefix of scope units tsrun names itself (runc uses "runc"). */
export const SCOPE_PREFIX = 'tsrun';

/**
 * Clean like runc: absolute paths are normalised; relative ones are normalised as if
 * rooted and stay relative, so "../../x" can never climb out ("x").
 */
export function cleanPath(p: string): string {
  if (!p) return '';
  if (p.startsWith('/')) return path.posix.normalize(p).replace(/(.)\/$/, '$1');
  const abs = path.posix.normalize('/' + p);
  return abs === '/' ? '' : abs.slice(1).replace(/\/$/, '');
}

/** "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "/" (systemd's slice nesting). */
export function expandSlice(slice: string): string {
  const bad = (why: string) => new TsrunError(`cgroupsPath: invalid systemd slice "${slice}": ${why}`);
  if (!slice.endsWith('.slice') || slice.length <= '.slice'.length) throw bad('must end in ".slice"');
  if (slice.includes('/')) throw bad('must not contain "/"');
  if (slice === '-.slice') return '/';
  const name = slice.slice(0, -'.slice'.length);
  if (name.startsWith('-') || name.endsWith('-') || name.includes('--')) throw bad('malformed "-" nesting');
  let acc = '';
  let out = '';
  for (const part of name.split('-')) {
    acc = acc ? `${acc}-${part}` : part;
    out += `/${acc}.slice`;
  }
  return out;
}

/**
 * Map a systemd-style cgroupsPath ("slice:prefix:name", or absent) to the cgroupfs
 * path systemd would give the unit: "system.slice:tsrun:abc" -> /system.slice/tsrun-abc.scope.
 * There is no systemd talking to us: only the path is derived, the unit is not created.
 */
export function systemdPath(cgroupsPath: string | undefined, id: string, rootless = false): string {
  const defaultSlice = rootless ? 'user.slice' : 'system.slice';
  let slice = defaultSlice;
  let prefix = SCOPE_PREFIX;
  let name = id;
  if (cgroupsPath) {
    const parts = cgroupsPath.split(':');
    if (parts.length !== 3) {
      throw new TsrunError(`cgroupsPath: "${cgroupsPath}": expected "slice:prefix:name" with --systemd-cgroup`);
    }
    [slice, prefix, name] = parts;
    if (!slice) slice = defaultSlice;
    if (!name || name.includes('/')) throw new TsrunError(`cgroupsPath: "${cgroupsPath}": invalid unit name "${name}"`);
  }
  const unit = name.endsWith('.slice') ? name : `${prefix ? prefix + '-' : ''}${name}.scope`;
  return path.posix.join(expandSlice(slice), unit);
}

/** The inner path of a container: absolute ("/a/b") or relative to our own cgroup ("a/b"). */
export function innerPath(opts: { id: string; cgroupsPath?: string; systemd?: boolean; rootless?: boolean }): string {
  if (opts.systemd) return systemdPath(opts.cgroupsPath, opts.id, opts.rootless);
  // runc (cgroupfs driver) with no cgroupsPath uses the id, relative to its own cgroup.
  const p = cleanPath(opts.cgroupsPath ?? '') || cleanPath(opts.id);
  if (!p || p === '/') throw new TsrunError(`cgroupsPath: "${opts.cgroupsPath ?? ''}" resolves to the cgroup root`);
  return p;
}

/**
 * Directory of `inner` in one hierarchy. Absolute: under the mountpoint. Relative: under
 * `own` (our cgroup in that hierarchy), seen through the mount's root.
 */
export function dirIn(h: Pick<Hierarchy, 'mountpoint' | 'root'>, inner: string, own: string | undefined): string {
  if (inner.startsWith('/')) return path.posix.join(h.mountpoint, inner);
  let base = own ?? '/';
  if (h.root !== '/' && (base === h.root || base.startsWith(h.root + '/'))) base = base.slice(h.root.length) || '/';
  return path.posix.join(h.mountpoint, base, inner);
}
