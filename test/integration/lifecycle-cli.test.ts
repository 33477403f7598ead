// Drives the built CLI through create/start/state/kill/delete (and list, run, delete of a
// created container) on a busybox bundle, as a shell or containerd would. Uses dist/tsrun
// when built, else build/tsrun.js (TSRUN_CLI=FILE overrides); a private --root; cleans up even on failure.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(__dirname, '../..');
const DIST = path.join(REPO, 'dist/tsrun');
const JS = path.join(REPO, 'build/tsrun.js');
const OVERRIDE = process.env.TSRUN_CLI; // a tsrun.js or executable to test instead
const asCmd = (f: string) => (f.endsWith('.js') ? [process.execPath, f] : [f]);
const CMD: string[] | undefined = OVERRIDE ? asCmd(path.resolve(OVERRIDE)) : fs.existsSync(DIST) ? [DIST] : fs.existsSync(JS) ? [process.execPath, JS] : undefined;

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!CMD) return `neither ${DIST} nor ${JS} is built (npm run build)`;
  if (!fs.existsSync('/bin/busybox')) return '/bin/busybox missing (apt-get install busybox-static)';
  return undefined;
}
const skip = skipReason();
if (skip) console.warn(`[lifecycle-cli] skipped: ${skip}`);

let tmp = '';
let root = '';
let bundle = '';
const ids = new Set<string>();

function tsrun(...args: string[]) {
  // stdio to files, not pipes: a created container inherits them.
  const out = path.join(tmp, 'out');
  const err = path.join(tmp, 'err');
  const o = fs.openSync(out, 'w');
  const e = fs.openSync(err, 'w');
  const r = spawnSync(CMD![0], [...CMD!.slice(1), '--root', root, ...args], { stdio: ['ignore', o, e], timeout: 30_000 });
  fs.closeSync(o);
  fs.closeSync(e);
  return { code: r.status, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') };
}
const stateOf = (id: string) => JSON.parse(tsrun('state', id).stdout);
const alive = (pid: number) => {
  try {
    return !/^\S+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
async function waitFor(fn: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fn()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return fn();
}
const id = (name: string) => {
  const v = `lc-${process.pid}-${name}`;
  ids.add(v);
  return v;
};

beforeAll(async () => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-lc-'));
  root = path.join(tmp, 'root');
  bundle = path.join(tmp, 'bundle');
  const mk = (await import(pathToFileURL(path.join(REPO, 'scripts/mkbundle.mjs')).href)) as {
    makeBundle(dir: string, o: { args?: string[]; mutate?: (c: Record<string, any>) => void }): string;
  };
  mk.makeBundle(bundle, { args: ['sleep', '100'], mutate: (c) => (c.annotations = { 'org.test': 'yes' }) });
});

afterAll(() => {
  if (skip) return;
  for (const i of ids) tsrun('delete', '--force', i);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!!skip)('tsrun lifecycle through the CLI', () => {
  it('create -> state -> start -> kill -> delete', async () => {
    const c = id('main');
    expect(tsrun('create', '--bundle', bundle, c)).toMatchObject({ code: 0, stderr: '' });
    const st = stateOf(c);
    expect(Object.keys(st)).toEqual(['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'annotations', 'owner']);
    expect(st).toMatchObject({ id: c, status: 'created', bundle, rootfs: path.join(bundle, 'rootfs'), annotations: { 'org.test': 'yes' } });
    expect(alive(st.pid)).toBe(true);
    expect(fs.statSync(path.join(root, c)).mode & 0o777).toBe(0o700);

    const list = tsrun('list', '--format', 'json');
    expect(JSON.parse(list.stdout).map((x: { id: string; owner: string }) => `${x.id} ${x.owner}`)).toEqual([`${c} root`]);
    expect(tsrun('list').stdout).toMatch(new RegExp(`^ID +PID +STATUS +BUNDLE +CREATED +OWNER\\n${c} +${st.pid} +created `));

    expect(tsrun('start', c).code).toBe(0);
    expect(stateOf(c).status).toBe('running');
    const again = tsrun('start', c);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/cannot start an already running container/);
    const busy = tsrun('delete', c);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/that is not stopped: running/);

    expect(tsrun('kill', c, 'KILL').code).toBe(0);
    expect(await waitFor(() => stateOf(c).status === 'stopped')).toBe(true);
    expect(stateOf(c).pid).toBe(0);
    const k = tsrun('kill', c);
    expect(k.code).toBe(1);
    expect(k.stderr).toMatch(/container not running/);

    expect(tsrun('delete', c).code).toBe(0);
    expect(fs.existsSync(path.join(root, c))).toBe(false);
    const gone = tsrun('--log-format', 'json', 'state', c);
    expect(gone.code).toBe(1);
    expect(JSON.parse(gone.stderr)).toMatchObject({ level: 'error', msg: `container "${c}" does not exist` });
    expect(tsrun('delete', '--force', c).code).toBe(0);
  });

  it('delete refuses a created container (spec; runc 1.1.5 deletes it), delete --force kills it', async () => {
    const c = id('created');
    expect(tsrun('create', '-b', bundle, c).code).toBe(0);
    const pid = stateOf(c).pid;
    const refused = tsrun('delete', c);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('that is not stopped: created');
    expect(stateOf(c).status).toBe('created');
    expect(tsrun('delete', '--force', c).code).toBe(0);
    expect(await waitFor(() => !alive(pid))).toBe(true);
    expect(tsrun('list', '-q').stdout).toBe('');
  });

  it('delete --force removes a running container; kill --all signals the cgroup', async () => {
    const c = id('force');
    expect(tsrun('run', '-d', '-b', bundle, c).code).toBe(0);
    const pid = stateOf(c).pid;
    // The container's pid 1 only gets SIGKILL from outside its pid namespace.
    expect(tsrun('kill', '--all', c, 'KILL').code).toBe(0);
    expect(await waitFor(() => stateOf(c).status === 'stopped')).toBe(true);
    expect(tsrun('delete', '-f', c).code).toBe(0);
    expect(alive(pid)).toBe(false);
    const d = id('force2');
    expect(tsrun('run', '-d', '-b', bundle, d).code).toBe(0);
    const pid2 = stateOf(d).pid;
    expect(tsrun('delete', '--force', d).code).toBe(0);
    expect(alive(pid2)).toBe(false);
    expect(fs.existsSync(path.join(root, d))).toBe(false);
  });

  it('invalid ids and usage errors exit 1 without touching the root', () => {
    expect(tsrun('create', '-b', bundle, '../evil').code).toBe(1);
    expect(tsrun('state').code).toBe(1);
    expect(tsrun('kill').stderr).toMatch(/requires a minimum of 1 argument/);
    expect(fs.existsSync(path.join(tmp, 'evil'))).toBe(false);
  });
});
