// Rootless: tsrun run by a non-root user (the v2host guest's "tsr", uid 1000, with
// /etc/subuid and /etc/subgid entries and Debian's uidmap; skips where there is no such
// user): a `tsrun spec --rootless` bundle runs unchanged but for its command, the state
// lives under $XDG_RUNTIME_DIR/tsrun, and subordinate id ranges are mapped through
// newuidmap/newgidmap. Cgroups: without delegation the container runs without one, with a
// warning, and limits are refused (runc's rule); with --systemd-cgroup the user's own
// systemd (lingering user@UID.service, reached on the user bus) makes the scope below its
// delegated subtree and the limits land in its files.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, REPO, skipReason, waitFor } from '../../conformance/lib/harness';

const USER = 'tsr';
function lookup(): { uid: number; gid: number } | undefined {
  const line = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${USER}:`));
  if (!line) return undefined;
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}
function why(): string | undefined {
  const base = skipReason();
  if (base) return base;
  if (!lookup()) return `no test user "${USER}" (the v2host guest has one)`;
  if (!fs.readFileSync('/etc/subuid', 'utf8').includes(`${USER}:`)) return `no /etc/subuid entry for ${USER}`;
  if (spawnSync('newuidmap').error) return 'newuidmap missing (apt-get install uidmap)';
  if (spawnSync('runuser', ['--help']).error) return 'no runuser';
  return undefined;
}
const skip = why();
if (skip) console.warn(`[rootless] skipped: ${skip}`);
const who = lookup();

const made: string[] = [];
const ids: [string, string][] = [];
afterAll(() => {
  for (const [xdg, id] of ids) asUser(xdg, ['delete', '--force', id]);
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

let outSeq = 0;
/**
 * BIN as the user. Output goes through files, never pipes: a container process that kept
 * a pipe open would hold spawnSync past its timeout (it waits for EOF), and the worker with it.
 */
function runAs(env: string[], args: string[]): { code: number | null; stdout: string; stderr: string } {
  const io = path.join(fs.mkdtempSync('/tmp/tsrun-rootless-io-'), `${++outSeq}`);
  made.push(path.dirname(io));
  fs.chmodSync(path.dirname(io), 0o777);
  const r = spawnSync('runuser', ['-u', USER, '--', 'sh', '-c', 'o=$1; shift; exec env "$@" > "$o.out" 2> "$o.err" < /dev/null', 'sh', io, ...env, BIN, ...args], { stdio: 'ignore', timeout: 60_000, cwd: '/' });
  const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
  return { code: r.status, stdout: read(`${io}.out`), stderr: read(`${io}.err`) };
}
function asUser(xdg: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  return runAs([`XDG_RUNTIME_DIR=${xdg}`], args);
}

/** A bundle owned by the user: busybox rootfs, config from `tsrun spec --rootless` as the user. */
async function userBundle(label: string, xdgRoot: string): Promise<string> {
  const { makeRootfs } = (await import(pathToFileURL(path.join(REPO, 'scripts/mkbundle.mjs')).href)) as { makeRootfs(dir: string): void };
  const dir = path.join(xdgRoot, label);
  fs.mkdirSync(dir);
  makeRootfs(path.join(dir, 'rootfs'));
  spawnSync('chown', ['-R', `${who!.uid}:${who!.gid}`, dir]);
  const r = asUser(xdgRoot, ['spec', '--rootless', '--bundle', dir]);
  expect(r.code, r.stderr).toBe(0);
  return dir;
}
function edit(dir: string, f: (c: Record<string, any>) => void): void {
  const p = path.join(dir, 'config.json');
  const c = JSON.parse(fs.readFileSync(p, 'utf8'));
  f(c);
  fs.writeFileSync(p, JSON.stringify(c));
}

describe.skipIf(!!skip)('rootless (a non-root user with subordinate ids)', () => {
  // A private runtime dir per run, owned by the user (as /run/user/<uid> would be).
  const xdg = fs.mkdtempSync('/tmp/tsrun-rootless-');
  made.push(xdg);
  if (!skip) {
    fs.chmodSync(xdg, 0o700);
    fs.chownSync(xdg, who!.uid, who!.gid);
  }

  it('runs a `spec --rootless` bundle: root inside maps to the user; state under $XDG_RUNTIME_DIR/tsrun', async () => {
    const dir = await userBundle('b1', xdg);
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(c.linux.uidMappings).toEqual([{ containerID: 0, hostID: who!.uid, size: 1 }]);
    edit(dir, (c) => {
      c.process.terminal = false;
      c.process.args = ['sh', '-c', 'id -u; cat /proc/self/uid_map /proc/self/gid_map; sleep 200'];
    });
    const id = `rl1-${process.pid}`;
    ids.push([xdg, id]);
    const out = path.join(xdg, 'out1');
    const cr = spawnSync('runuser', ['-u', USER, '--', 'sh', '-c', `XDG_RUNTIME_DIR=${xdg} exec "$0" create --bundle "$1" "$2" > "$3" 2>&1`, BIN, dir, id, out], { stdio: 'ignore', timeout: 60_000 });
    expect(cr.status, fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : 'no output').toBe(0);
    const stateFile = path.join(xdg, 'tsrun', id, 'state.json');
    expect(fs.statSync(stateFile).uid).toBe(who!.uid);
    const st = asUser(xdg, ['state', id]);
    expect(JSON.parse(st.stdout).status).toBe('created');
    const pid = JSON.parse(st.stdout).pid as number;
    expect(fs.statSync(`/proc/${pid}`).uid).toBe(who!.uid);
    expect(asUser(xdg, ['start', id]).code).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 100 && !/gid|\n.*\n.*\n/.test(fs.readFileSync(out, 'utf8')); i++) await new Promise((r) => setTimeout(r, 200));
    const text = fs.readFileSync(out, 'utf8');
    expect(text).toMatch(/^0$/m);
    expect(text).toMatch(new RegExp(`^\\s*0\\s+${who!.uid}\\s+1$`, 'm'));
    expect(text).toMatch(new RegExp(`^\\s*0\\s+${who!.gid}\\s+1$`, 'm'));
    expect(asUser(xdg, ['delete', '--force', id]).code).toBe(0);
    expect(fs.existsSync(path.join(xdg, 'tsrun', id))).toBe(false);
  });

  it('maps subordinate id ranges through newuidmap/newgidmap', async () => {
    const dir = await userBundle('b2', xdg);
    edit(dir, (c) => {
      c.process.terminal = false;
      c.process.args = ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map'];
      c.linux.uidMappings = [{ containerID: 0, hostID: who!.uid, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: who!.gid, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }];
    });
    const id = `rl2-${process.pid}`;
    ids.push([xdg, id]);
    const r = asUser(xdg, ['run', '--bundle', dir, id]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    expect(lines).toEqual([`0 ${who!.uid} 1`, '1 100000 65536', `0 ${who!.gid} 1`, '1 100000 65536']);
    // The job runs in root's service cgroup: nothing there is delegated to the user.
    expect(r.stderr).toMatch(/warning: rootless: running without a cgroup of its own/);
  });

  it('limits without a delegated cgroup are refused with one line (runc\'s rule); nothing is left', async () => {
    const dir = await userBundle('b5', xdg);
    edit(dir, (c) => {
      c.process.terminal = false;
      c.process.args = ['true'];
      c.linux.resources = { pids: { limit: 40 } };
    });
    const id = `rl5-${process.pid}`;
    ids.push([xdg, id]);
    const r = asUser(xdg, ['run', '--bundle', dir, id]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').filter((l) => !/warning/.test(l))).toHaveLength(1);
    expect(r.stderr).toMatch(/rootless: linux.resources \(pids\) need a delegated cgroup/);
    expect(fs.existsSync(path.join(xdg, 'tsrun', id))).toBe(false);
  });

  it('a range the user does not own is refused by newuidmap with one line; nothing is left', async () => {
    const dir = await userBundle('b3', xdg);
    edit(dir, (c) => {
      c.process.terminal = false;
      c.process.args = ['true'];
      c.linux.uidMappings = [{ containerID: 0, hostID: 0, size: 1 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: who!.gid, size: 1 }];
    });
    const id = `rl3-${process.pid}`;
    ids.push([xdg, id]);
    const r = asUser(xdg, ['run', '--bundle', dir, id]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').filter((l) => !/warning/.test(l))).toHaveLength(1);
    expect(r.stderr).toMatch(/newuidmap/);
    expect(fs.existsSync(path.join(xdg, 'tsrun', id))).toBe(false);
  });
});

// The user's systemd, on its user bus (/run/user/UID/bus: lingering + dbus-user-session).
const userBus = who ? `/run/user/${who.uid}` : '';
const sdSkip = skip ?? (!fs.existsSync('/run/systemd/system') ? 'the host was not booted with systemd'
  : !fs.existsSync(`${userBus}/bus`) ? `no user bus at ${userBus}/bus (the v2host guest lingers ${USER} with dbus-user-session)` : undefined);
if (sdSkip && !skip) console.warn(`[rootless --systemd-cgroup] skipped: ${sdSkip}`);

describe.skipIf(!!sdSkip)('rootless with --systemd-cgroup (the user\'s systemd delegates the cgroup)', () => {
  const root = fs.mkdtempSync('/tmp/tsrun-rootless-sd-');
  made.push(root);
  if (!sdSkip) {
    fs.chmodSync(root, 0o700);
    fs.chownSync(root, who!.uid, who!.gid);
  }
  const sdIds: string[] = [];
  afterAll(() => {
    for (const id of sdIds) sd(['delete', '--force', id]);
  });
  /** As the user, with its real runtime dir (the bus), state in a private --root. */
  const sd = (args: string[]) => runAs([`XDG_RUNTIME_DIR=${userBus}`], ['--root', root, ...args]);
  const userShow = (unit: string, props: string[]) => {
    const r = spawnSync('runuser', ['-u', USER, '--', 'env', `XDG_RUNTIME_DIR=${userBus}`, 'systemctl', '--user', 'show', unit, ...props.map((p) => `-p${p}`)], { encoding: 'utf8', timeout: 60_000 });
    return Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  };

  it('the scope lives below user@UID.service with Delegate=yes; its limits are in systemd and the files; delete removes it', async () => {
    const dir = await userBundle('b4', root);
    const MiB = 1024 * 1024;
    edit(dir, (c) => {
      c.process.terminal = false;
      c.process.args = ['sleep', '300'];
      c.linux.resources = { memory: { limit: 64 * MiB }, pids: { limit: 40 }, cpu: { quota: 50_000, period: 100_000 } };
    });
    const id = `rl4-${process.pid}`;
    const unit = `tsrun-${id}.scope`;
    sdIds.push(id);
    const out = path.join(root, 'out4');
    const cr = spawnSync('runuser', ['-u', USER, '--', 'sh', '-c', `XDG_RUNTIME_DIR=${userBus} exec "$0" --root "$1" --systemd-cgroup create --bundle "$2" "$3" > "$4" 2>&1`, BIN, root, dir, id, out], { stdio: 'ignore', timeout: 60_000 });
    expect(cr.status, fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : 'no output').toBe(0);
    const pid = JSON.parse(sd(['state', id]).stdout).pid as number;
    const cg = `/user.slice/user-${who!.uid}.slice/user@${who!.uid}.service/user.slice/${unit}`;
    expect(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(`0::${cg}\n`);
    const cgDir = `/sys/fs/cgroup${cg}`;
    expect(fs.statSync(cgDir).uid).toBe(who!.uid); // delegated: the user owns it
    const read = (f: string) => fs.readFileSync(path.join(cgDir, f), 'utf8').trim();
    expect({ mem: read('memory.max'), pids: read('pids.max'), cpu: read('cpu.max') }).toEqual({ mem: String(64 * MiB), pids: '40', cpu: '50000 100000' });
    expect(userShow(unit, ['LoadState', 'ActiveState', 'Delegate', 'MemoryMax', 'TasksMax', 'ControlGroup'])).toEqual({
      LoadState: 'loaded', ActiveState: 'active', Delegate: 'yes', MemoryMax: String(64 * MiB), TasksMax: '40', ControlGroup: cg,
    });
    expect(sd(['start', id]).code).toBe(0);
    // update as the user: the delegated files take the new limits.
    const up = sd(['update', '--pids-limit', '30', id]);
    expect(up.code, up.stderr).toBe(0);
    expect(read('pids.max')).toBe('30');
    const del = sd(['delete', '--force', id]);
    expect(del.code, del.stderr).toBe(0);
    await waitFor(() => userShow(unit, ['LoadState']).LoadState === 'not-found', 30_000, 200);
    expect(userShow(unit, ['LoadState']).LoadState).toBe('not-found');
    expect(fs.existsSync(cgDir)).toBe(false);
  });
});
