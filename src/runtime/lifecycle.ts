// Which operation is allowed in which status, in one table. Each operation asks
// requireStatus() after deriving the status; the refusal messages are runc's wording
// (callers parse some of them), so each entry says its own.
import { ErrorCode, TsrunError } from '../common/errors';
import type { Status } from '../oci/types';

export type Operation = 'start' | 'delete' | 'kill' | 'exec' | 'pause' | 'resume' | 'update' | 'events' | 'checkpoint';

interface Rule {
  allowed: readonly Status[];
  refusal(status: Status, id: string): string;
}

export const LIFECYCLE: Readonly<Record<Operation, Rule>> = {
  start: {
    allowed: ['created'],
    refusal: (s) =>
      s === 'stopped' ? 'cannot start a container that has stopped'
      : s === 'running' ? 'cannot start an already running container'
      : `cannot start a container in the ${s} state`,
  },
  // Without --force (which is allowed in every status): as the runtime-spec says.
  delete: { allowed: ['stopped'], refusal: (s, id) => `cannot delete container ${id} that is not stopped: ${s}` },
  kill: { allowed: ['created', 'running', 'paused'], refusal: () => 'container not running' },
  exec: { allowed: ['created', 'running'], refusal: (s) => `cannot exec in a ${s} container` },
  pause: { allowed: ['created', 'running'], refusal: () => 'container not running' },
  resume: { allowed: ['paused'], refusal: () => 'container not paused' },
  // A paused container can be updated (the freezer is left alone) and watched.
  update: { allowed: ['creating', 'created', 'running', 'paused'], refusal: () => 'container not running' },
  checkpoint: { allowed: ['running', 'paused'], refusal: () => 'container is not running' },
  events: { allowed: ['creating', 'created', 'running', 'paused'], refusal: (_s, id) => `container with id ${id} is not running` },
};

export function allowed(op: Operation, status: Status): boolean {
  return LIFECYCLE[op].allowed.includes(status);
}

/** Throw the operation's refusal unless `status` allows it. */
export function requireStatus(op: Operation, status: Status, id: string): void {
  if (!allowed(op, status)) throw new TsrunError(LIFECYCLE[op].refusal(status, id), { code: ErrorCode.BadStatus });
}
