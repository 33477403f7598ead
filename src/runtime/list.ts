// `list`: every container under the root, in id order, with the owner of its state dir
// (the CLI's cli/format.ts prints them as runc does).
import * as fs from 'node:fs';
import type { RuntimeOptions } from './options';
import { containerState, deriveStatus, type ContainerState } from './status';
import { Store } from './store';
import { userName } from '../linux/passwd';

export function list(g: RuntimeOptions = {}): ContainerState[] {
  const store = new Store(g.root);
  const out: ContainerState[] = [];
  for (const id of store.ids()) {
    let owner = '';
    try {
      const rec = store.load(id);
      // Recorded at create (the state dir's owner, as runc shows); stat only for old records.
      owner = rec.owner || userName(fs.statSync(store.dir(id)).uid);
      out.push(containerState(rec, deriveStatus(rec, store), owner));
    } catch {
      // Being created (no state.json yet) or deleted meanwhile: not listed, like runc.
    }
  }
  return out;
}
