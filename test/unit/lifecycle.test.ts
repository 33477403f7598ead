import { describe, expect, it } from 'vitest';
import { LIFECYCLE, requireStatus, type Operation } from '../../src/runtime/lifecycle';
import { HOOKS } from '../../src/oci/hooks';
import { HOOK_PHASE } from '../../src/linux/plan-wire';
import type { Status } from '../../src/oci/types';

const STATUSES: Status[] = ['creating', 'created', 'running', 'paused', 'stopped'];

describe('lifecycle table', () => {
  it('allows each operation in exactly these statuses, refusing with runc\'s words', () => {
    const matrix: Record<string, Record<string, string>> = {};
    for (const op of Object.keys(LIFECYCLE) as Operation[]) {
      matrix[op] = {};
      for (const s of STATUSES) {
        try {
          requireStatus(op, s, 'c1');
          matrix[op][s] = 'ok';
        } catch (err) {
          matrix[op][s] = (err as Error).message;
        }
      }
    }
    expect(matrix).toEqual({
      start: {
        creating: 'cannot start a container in the creating state',
        created: 'ok',
        running: 'cannot start an already running container',
        paused: 'cannot start a container in the paused state',
        stopped: 'cannot start a container that has stopped',
      },
      delete: {
        creating: 'cannot delete container c1 that is not stopped: creating',
        created: 'cannot delete container c1 that is not stopped: created',
        running: 'cannot delete container c1 that is not stopped: running',
        paused: 'cannot delete container c1 that is not stopped: paused',
        stopped: 'ok',
      },
      kill: { creating: 'container not running', created: 'ok', running: 'ok', paused: 'ok', stopped: 'container not running' },
      exec: {
        creating: 'cannot exec in a creating container',
        created: 'ok',
        running: 'ok',
        paused: 'cannot exec in a paused container',
        stopped: 'cannot exec in a stopped container',
      },
      pause: { creating: 'container not running', created: 'ok', running: 'ok', paused: 'container not running', stopped: 'container not running' },
      resume: { creating: 'container not paused', created: 'container not paused', running: 'container not paused', paused: 'ok', stopped: 'container not paused' },
      update: { creating: 'ok', created: 'ok', running: 'ok', paused: 'ok', stopped: 'container not running' },
      events: { creating: 'ok', created: 'ok', running: 'ok', paused: 'ok', stopped: 'container with id c1 is not running' },
      checkpoint: { creating: 'container is not running', created: 'container is not running', running: 'ok', paused: 'ok', stopped: 'container is not running' },
    });
  });
});

describe('hook table', () => {
  it('has the container-namespace hooks the shim runs, and only those', () => {
    const inContainer = Object.entries(HOOKS).filter(([, h]) => h.namespace === 'container').map(([k]) => k);
    expect(inContainer.sort()).toEqual(Object.keys(HOOK_PHASE).sort());
  });
  it('only poststart and poststop failures are warnings (runtime-spec 1.2)', () => {
    const warn = Object.entries(HOOKS).filter(([, h]) => h.onFailure === 'warn').map(([k]) => k);
    expect(warn).toEqual(['poststart', 'poststop']);
  });
});
