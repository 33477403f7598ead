// The runtime-spec's hooks in one table: when each runs, in whose namespaces, the status
// its state document says, and whether a failure fails the operation or is only a warning.
// linux/plan.ts (container-namespace hooks, run by the shim) and runtime/ (the rest) both
// read it, so it lives below them.
import type { HookName, Status } from './types';

export interface HookKind {
  /** The operation the hook belongs to. */
  phase: 'create' | 'start' | 'delete';
  /** 'runtime': tsrun runs it; 'container': the container init runs it (after the mounts). */
  namespace: 'runtime' | 'container';
  /** 'fail' aborts the operation (create cleans up); 'warn' logs and runs the next hook. */
  onFailure: 'fail' | 'warn';
  /** The status in the state document the hook gets on stdin. */
  status: Status;
}

export const HOOKS: Readonly<Record<HookName, HookKind>> = {
  // Deprecated; historically run at start, so runtime-tools expects "created".
  prestart: { phase: 'create', namespace: 'runtime', onFailure: 'fail', status: 'created' },
  createRuntime: { phase: 'create', namespace: 'runtime', onFailure: 'fail', status: 'creating' },
  createContainer: { phase: 'create', namespace: 'container', onFailure: 'fail', status: 'creating' },
  startContainer: { phase: 'start', namespace: 'container', onFailure: 'fail', status: 'created' },
  // Spec 1.2: poststart and poststop failures are logged, not fatal.
  poststart: { phase: 'start', namespace: 'runtime', onFailure: 'warn', status: 'running' },
  poststop: { phase: 'delete', namespace: 'runtime', onFailure: 'warn', status: 'stopped' },
};
