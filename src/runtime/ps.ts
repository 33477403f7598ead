// `ps`: the processes of a container, found through its cgroup (as runc does: every pid
// in cgroup.procs of the container's cgroup and its sub-cgroups). The table form runs the
// host's ps(1) with the caller's arguments and keeps the header plus the rows whose PID
// column is one of those pids.
import { spawnSync } from 'node:child_process';
import { openCgroup } from '../linux/cgroups';
import { TsrunError } from '../common/errors';
import type { RuntimeOptions } from './options';
import { Store } from './store';

/** Pids in the container's cgroup, ascending. A stopped container has none (not an error). */
export function containerPids(g: RuntimeOptions, id: string): number[] {
  const rec = new Store(g.root).load(id);
  if (!rec.cgroup) throw new TsrunError(`container ${id} has no cgroup: its processes cannot be listed`);
  return openCgroup(rec.cgroup).pids().sort((a, b) => a - b);
}

/**
 * Run `ps <args>` (default -ef) and keep the header and the rows of pids. Errors as runc
 * words them: ps's own failure with its output, or a header without a PID column.
 */
export function psTable(pids: readonly number[], args: readonly string[]): string {
  const argv = args.length ? [...args] : ['-ef'];
  const r = spawnSync('ps', argv, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new TsrunError(`ps ${argv.join(' ')}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`);
  if (r.status !== 0) {
    const out = `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? '';
    throw new TsrunError(`ps ${argv.join(' ')}: exit status ${r.status ?? r.signal}: ${out}`);
  }
  const lines = r.stdout.split('\n');
  const col = lines[0].trim().split(/\s+/).indexOf('PID');
  if (col < 0) throw new TsrunError("couldn't find PID field in ps output");
  const want = new Set(pids);
  const rows = [lines[0]];
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const field = line.trim().split(/\s+/)[col];
    const pid = Number(field);
    if (!Number.isInteger(pid)) throw new TsrunError(`unable to parse pid: ${JSON.stringify(field)}`);
    if (want.has(pid)) rows.push(line);
  }
  return rows.join('\n') + '\n';
}
