// runtime.md "Kill": the signal reaches the container process; only created or running containers.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceSkip, pidAlive, sleep, Suite, waitFor } from './lib/harness';

const skip = announceSkip(__filename);

// The shell is pid 1 in its namespace, so only trapped signals reach it: the trap writes the marker.
const TRAPPER = 'trap "echo got-usr1 > /m/sig; exit 0" USR1; echo ready > /m/ready; while :; do sleep 0.1; done';

describe.skipIf(!!skip)('kill', () => {
  let s: Suite;
  beforeAll(() => {
    s = new Suite('kill');
  });
  afterAll(async () => {
    await s?.cleanup();
  });

  // Kill: the given signal is delivered to the container process.
  it('delivers the signal to the container process', async () => {
    const b = await s.bundle('deliver', { args: ['sh', '-c', TRAPPER] });
    const id = s.id('deliver');
    s.create(id, b);
    s.start(id);
    expect(await waitFor(() => fs.existsSync(path.join(b.host, 'ready')))).toBe(true);
    s.ok(['kill', id, 'SIGUSR1']);
    const sig = path.join(b.host, 'sig');
    expect(await waitFor(() => fs.existsSync(sig) && fs.readFileSync(sig, 'utf8').trim())).toBe('got-usr1');
    expect((await s.waitStatus(id, 'stopped'))?.status).toBe('stopped');
  });

  // Kill: signal numbers work as well as names (containerd passes numbers).
  it('accepts a signal number', async () => {
    const b = await s.bundle('number', { args: ['sh', '-c', TRAPPER] });
    const id = s.id('number');
    s.create(id, b);
    s.start(id);
    expect(await waitFor(() => fs.existsSync(path.join(b.host, 'ready')))).toBe(true);
    s.ok(['kill', id, '10']);
    expect(await waitFor(() => fs.existsSync(path.join(b.host, 'sig')))).toBe(true);
  });

  // Kill: a created container may be signalled; SIGKILL stops it before the program ever runs.
  it('signals a created container: SIGKILL leaves it stopped without running the program', async () => {
    const b = await s.bundle('created', { args: ['sh', '-c', 'touch /m/ran; sleep 100'] });
    const id = s.id('created');
    s.create(id, b);
    const pid = s.state(id).pid!;
    s.ok(['kill', id, 'SIGKILL']);
    expect((await s.waitStatus(id, 'stopped'))?.status).toBe('stopped');
    expect(await waitFor(() => !pidAlive(pid))).toBe(true);
    expect(fs.existsSync(path.join(b.host, 'ran'))).toBe(false);
  });

  // Kill: a container that is neither created nor running (stopped) gives an error, no effect.
  it('errors on a stopped container and leaves it stopped', async () => {
    const b = await s.bundle('stopped', { args: ['true'] });
    const id = s.id('stopped');
    s.create(id, b);
    s.start(id);
    expect((await s.waitStatus(id, 'stopped'))?.status).toBe('stopped');
    expect(s.rt(['kill', id, 'SIGKILL']).code).not.toBe(0);
    await sleep(200);
    expect(s.state(id).status).toBe('stopped');
  });

  // Kill: an unknown container, or no id, is an error.
  it('errors for an unknown container and without an id', () => {
    expect(s.rt(['kill', 'conf-no-such-container', 'SIGKILL']).code).not.toBe(0);
    expect(s.rt(['kill']).code).not.toBe(0);
  });
});
