// runc's layouts of `state` and `list` (JSON and table): the library returns runtime-spec
// State documents (runtime/status.ts ContainerState), the CLI prints them as runc does.
import type { ContainerState } from '../runtime/status';
import type { Status } from '../oci/types';

/** What `state` and `list --format json` print, field for field as runc 1.1 does. */
export interface CliState {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string>;
  owner: string;
}

/** runc's layout: pid 0 once stopped, annotations omitted when empty, owner "" unless listed. */
export function cliState(s: ContainerState): CliState {
  const out: CliState = {
    ociVersion: s.ociVersion,
    id: s.id,
    pid: s.pid ?? 0,
    status: s.status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    owner: s.owner ?? '',
  };
  if (s.annotations && Object.keys(s.annotations).length) {
    delete (out as Partial<CliState>).owner;
    out.annotations = s.annotations;
    out.owner = s.owner ?? '';
  }
  return out;
}

/** runc's table: Go tabwriter with min width 12, padding 3; the last column is not padded. */
export function formatTable(states: CliState[]): string {
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']];
  for (const s of states) rows.push([s.id, String(s.pid), s.status, s.bundle, s.created, s.owner]);
  const widths = rows[0].map((_, c) => Math.max(12, ...rows.map((r) => r[c].length + 3)));
  return rows.map((r) => r.map((cell, c) => (c < r.length - 1 ? cell.padEnd(widths[c]) : cell)).join('') + '\n').join('');
}
