// `list`: every container under the root, in id order, with the owner of its state dir.
import * as fs from 'node:fs';
import type { RuntimeOptions } from './options';
import { cliState, deriveStatus, type CliState } from './status';
import { Store } from './store';
import { userName } from '../linux/passwd';

export function list(g: RuntimeOptions): CliState[] {
  const store = new Store(g.root);
  const out: CliState[] = [];
  for (const id of store.ids()) {
    let owner = '';
    try {
      const rec = store.load(id);
      // Recorded at create (the state dir's owner, as runc shows); stat only for old records.
      owner = rec.owner || userName(fs.statSync(store.dir(id)).uid);
      out.push(cliState(rec, deriveStatus(rec, store), owner));
    } catch {
      // Being created (no state.json yet) or deleted meanwhile: not listed, like runc.
    }
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
