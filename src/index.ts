// tsrun as a library: the operations of an OCI runtime, typed (create, start, state, kill,
// delete, list, run, exec, pause, resume, update, ps, events, spec, features). The CLI (src/cli/) calls the
// same functions. Every operation takes RuntimeOptions first (all optional: root dir,
// cgroup flags, a logger); none prints, reads stdin or installs signal handlers unless
// given ProcessIo. Errors are TsrunError (code, pointer, errno). Needs root (or a rootless
// setup) like any runtime; Linux only.
import { defaultSpec } from './oci/spec-default';
import type { Spec } from './oci/types';

export { create } from './runtime/create';
export { start } from './runtime/start';
export { state } from './runtime/state';
export { kill } from './runtime/kill';
export { deleteContainer, deleteContainer as delete } from './runtime/delete';
export { list } from './runtime/list';
export { run } from './runtime/run';
export { exec, processFromFlags, type ExecOptions } from './runtime/exec';
export { pause, resume } from './runtime/pause';
export { update, requestFromFlags, requestFromFile, type UpdateFlags, type UpdateRequest } from './runtime/update';
export { containerPids, containerPids as ps, psTable } from './runtime/ps';
export { events, type ContainerEvent, type EventsOptions } from './runtime/events';
// Fail with criu's reason where CRIU cannot work; the dump/restore itself is not implemented yet.
export { checkpoint, restore, type CheckpointOptions, type RestoreOptions } from './runtime/checkpoint';
export { features, type Features } from './oci/features';
export { loadBundle, type Bundle } from './oci/load';
export { LIFECYCLE, allowed, type Operation } from './runtime/lifecycle';
export { HOOKS, type HookKind } from './oci/hooks';
export { DEFAULT_ROOT } from './runtime/options';
export type { CreateOptions, Logger, ProcessIo, RunOptions, RuntimeOptions, TerminalStreams } from './runtime/options';
export type { ContainerState } from './runtime/status';
export { ErrorCode, TsrunError, type ErrorDetails } from './common/errors';
export type * from './oci/types';
export { version } from './version';

/** `tsrun spec`: the starter config.json (runc's, with hostname "tsrun"), as an object. */
export function spec(opts: { rootless?: boolean } = {}): Spec {
  return defaultSpec({ rootless: !!opts.rootless });
}
