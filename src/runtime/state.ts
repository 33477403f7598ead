// `state`: the container's runtime-spec State document (the CLI prints it as runc does).
// Read-only: no lock, no cgroup code unless the init is alive (paused check).
import type { RuntimeOptions } from './options';
import { containerState, deriveStatus, type ContainerState } from './status';
import { Store } from './store';

export function state(g: RuntimeOptions, id: string): ContainerState {
  const store = new Store(g.root);
  const rec = store.load(id);
  return containerState(rec, deriveStatus(rec, store));
}
