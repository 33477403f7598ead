// `state`: the container's state as runc prints it. Read-only: no lock, no cgroup code
// unless the init is alive (paused check).
import type { RuntimeOptions } from './options';
import { cliState, deriveStatus, type CliState } from './status';
import { Store } from './store';

export function state(g: RuntimeOptions, id: string): CliState {
  const store = new Store(g.root);
  const rec = store.load(id);
  return cliState(rec, deriveStatus(rec, store));
}
