// Loaded before every test file (vitest.config.ts setupFiles). Many tests call the runtime
// through spawnSync; between synchronous tests vitest's runner only awaits microtasks, so a
// file of them can hold the worker's event loop for minutes. vitest's worker RPC
// (onTaskUpdate) then times out after 60 s — its timer fires before the poll phase reads the
// reply — and the run fails with "Timeout calling onTaskUpdate" although every test passed.
// One macrotask turn before each test lets the replies in.
import { beforeEach } from 'vitest';

beforeEach(() => new Promise<void>((resolve) => setTimeout(resolve, 1)));
