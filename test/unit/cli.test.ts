// Command-line parsing (fast path and yargs must agree) and the CLI's error handling,
// without running containers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { globalOptions, main, parse } from '../../src/cli/cli';
import { fastParse, goStyleFlags } from '../../src/cli/fastparse';
import { parseWithYargs } from '../../src/cli/yargs-cli';
import { formatTable } from '../../src/cli/format';
import { formatLine } from '../../src/cli/log';

const viaYargs = (argv: string[]) => parseWithYargs(argv, () => 'tsrun version test');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const VALID: string[][] = [
  ['state', 'c1'],
  ['--root', '/tmp/x', 'state', 'c1'],
  ['--root=/tmp/x', '--log', '/tmp/l', '--log-format', 'json', 'state', '007'],
  ['--debug', '--systemd-cgroup', '--rootless', 'false', 'start', 'c1'],
  ['--criu', '/usr/sbin/criu', 'list'],
  ['kill', 'c1'],
  ['kill', '--all', 'c1', 'KILL'],
  ['kill', 'c1', '9', '-a'],
  ['delete', '-f', 'c1'],
  ['delete', 'c1', '--force'],
  ['delete', '--force=false', 'c1'],
  ['list', '-f', 'json'],
  ['list', '--format=table', '-q'],
  ['create', '-b', '/bundle', '--console-socket', '/s.sock', '--pid-file', 'p', '--no-pivot', '--no-new-keyring', '--preserve-fds', '2', 'c1'],
  ['create', '--bundle=/bundle', 'c1'],
  ['run', '-d', '--keep', '-b', 'b', 'c1'],
  ['state', '--root', '/r', 'c1'],
  ['exec', '-t', '-e', 'A=1', '--env', 'B=2', '-u', '1:2', 'c1', 'sh', '-c', 'echo --all -f'],
  ['exec', 'c1', 'ls', '-l'],
  ['spec', '--rootless', '-b', '/tmp/b'],
  ['features'],
  ['pause', 'c1'],
  ['kill', '--', 'c1', 'TERM'],
  ['update', '--memory', '64m', '--pids-limit', '-1', '--cpu-quota', '-1', 'c1'],
  ['update', '-r', '-', 'c1'],
  ['checkpoint', '--leave-running', '--image-path', '/i', '--empty-ns', 'network', '--manage-cgroups-mode', 'soft', 'c1'],
  ['restore', '-d', '-b', '/b', '--image-path', '/i', '--pid-file', 'p', 'c1'],
  ['events', '--stats', 'c1'],
  ['events', '--interval', '1s', 'c1'],
  ['run', '--no-subreaper', '--pidfd-socket', '/p.sock', '-d', 'c1'],
  ['exec', '--pidfd-socket', '/p.sock', '--ignore-paused', 'c1', 'true'],
  ['ps', '-f', 'json', 'c1'],
  ['ps', 'c1', '-ef'],
  ['ps', '--format', 'table', 'c1', '-o', 'pid,comm', '--format', 'x'],
];

describe('parsing', () => {
  it("takes Go's one-dash long flags as runc does (go-runc passes -no-subreaper to restore), not the container's words", () => {
    const r = fastParse(goStyleFlags(['-root', '/r', 'restore', '-no-subreaper', '-image-path=/img', '-d', 'id']))!;
    expect(r.global.root).toBe('/r');
    expect(r.flags).toMatchObject({ 'no-subreaper': true, 'image-path': '/img', detach: true });
    expect(r.args).toEqual(['id']);
    const e = fastParse(goStyleFlags(['exec', '-detach', 'c1', 'sh', '-detach', '-tty']))!;
    expect(e.flags.detach).toBe(true);
    expect(e.args).toEqual(['c1', 'sh', '-detach', '-tty']);
    // Not a flag of the command: left for the parser to refuse.
    expect(goStyleFlags(['kill', '-nosuch', 'c1'])).toEqual(['kill', '-nosuch', 'c1']);
  });

  it.each(VALID.map((a) => [a.join(' '), a]))('fast path and yargs agree: %s', (_s, argv) => {
    const fast = fastParse(argv as string[]);
    expect(fast).not.toBeNull();
    const y = viaYargs(argv as string[]);
    expect(y).toEqual({ parsed: fast });
  });

  it('fills flags and defaults the way handlers expect', () => {
    expect(fastParse(['kill', 'c1', '9', '-a'])).toEqual({
      command: 'kill',
      global: { debug: false, log: undefined, 'log-format': 'text', root: undefined, 'systemd-cgroup': false, rootless: 'auto', criu: undefined },
      flags: { all: true },
      args: ['c1', '9'],
    });
    const c = fastParse(['create', '--preserve-fds', '3', '-b', 'x', 'id'])!;
    expect(c.flags).toMatchObject({ bundle: 'x', 'preserve-fds': 3, 'no-pivot': false, 'pid-file': undefined });
    // exec: everything after the id is the command, flags included.
    expect(fastParse(['exec', 'c1', 'sh', '-c', 'x', '-t'])!.args).toEqual(['c1', 'sh', '-c', 'x', '-t']);
    expect(fastParse(['exec', 'c1', 'sh', '-c', 'x', '-t'])!.flags.tty).toBe(false);
    expect(fastParse(['exec', '-e', 'A=1', '-e', 'B=2', 'c1', 'x'])!.flags.env).toEqual(['A=1', 'B=2']);
    expect(fastParse(['--root', 'a', '--root', 'b', 'list'])!.global.root).toBe('b');
  });

  it('global options: rootless true/false/auto, log format', () => {
    const g = (argv: string[]) => globalOptions(fastParse(argv)!);
    expect(g(['--rootless', 'true', 'list']).rootless).toBe(true);
    expect(g(['--rootless', 'false', 'list']).rootless).toBe(false);
    expect(g(['list']).rootless).toBe(process.geteuid!() !== 0);
    expect(g(['--log-format', 'json', '--log', '/l', 'list'])).toMatchObject({ logFormat: 'json', log: '/l', root: '/run/tsrun' });
  });

  it.each([
    [['state'], '"state" requires exactly 1 argument(s)'],
    [['kill'], '"kill" requires a minimum of 1 argument(s)'],
    [['kill', 'a', 'b', 'c'], '"kill" requires a maximum of 2 argument(s)'],
    [['state', 'a', 'b'], '"state" requires exactly 1 argument(s)'],
    [['list', 'x'], '"list" requires exactly 0 argument(s)'],
    [['--bogus', 'list'], /Unknown argument/],
    [['list', '--bogus'], /Unknown argument/],
    [['list', '-f', 'yaml'], /Invalid values/],
    [['--log-format', 'xml', 'list'], /Invalid values/],
    [['nosuchcommand'], /Unknown argument|unknown command/],
    [[], /no command|Not enough|command/],
  ] as [string[], string | RegExp][])('usage error for %j exits 1', async (argv, msg) => {
    expect(fastParse(argv)).toBeNull();
    const r = await parse(argv);
    expect(r).toMatchObject({ exit: 1 });
    expect((r as { error: string }).error).toMatch(msg);
  });

  it('help and version print and exit 0', () => {
    const h = viaYargs(['--help']) as { exit: number; stdout: string };
    expect(h.exit).toBe(0);
    expect(h.stdout).toMatch(/tsrun \[global options\] command/);
    for (const c of ['create', 'start', 'state', 'kill', 'delete', 'list', 'run', 'spec', 'features', 'exec']) expect(h.stdout).toContain(c);
    const k = viaYargs(['kill', '--help']) as { exit: number; stdout: string };
    expect(k.stdout).toMatch(/tsrun kill \[command options\] <container-id> \[signal\]/);
    expect(k.stdout).toMatch(/--all/);
    expect(viaYargs(['--version'])).toEqual({ exit: 0, stdout: 'tsrun version test\n' });
    expect(viaYargs(['-v'])).toEqual({ exit: 0, stdout: 'tsrun version test\n' });
  });
});

describe('main', () => {
  it('reports an unknown container: exit 1, a JSON log line with runc\'s fields', async () => {
    const log = path.join(tmp, 'log.json');
    const code = await main(['--root', tmp, '--log', log, '--log-format', 'json', 'state', 'nope']);
    expect(code).toBe(1);
    const line = JSON.parse(fs.readFileSync(log, 'utf8').trim());
    expect(Object.keys(line)).toEqual(['level', 'msg', 'time']);
    expect(line).toMatchObject({ level: 'error', msg: 'container "nope" does not exist' });
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('delete --force of an unknown container succeeds (runc does too); without it, it fails', async () => {
    expect(await main(['--root', tmp, '--log', path.join(tmp, 'l2'), 'delete', '-f', 'nope'])).toBe(0);
    expect(await main(['--root', tmp, '--log', path.join(tmp, 'l2'), 'delete', 'nope'])).toBe(1);
    expect(fs.readFileSync(path.join(tmp, 'l2'), 'utf8')).toMatch(/^time=".*" level=error msg="container \\"nope\\" does not exist"\n$/);
  });

  it('kill with an unknown signal fails before touching anything', async () => {
    const log = path.join(tmp, 'l3');
    expect(await main(['--root', tmp, '--log', log, '--log-format', 'json', 'kill', 'nope', 'FOO'])).toBe(1);
    expect(JSON.parse(fs.readFileSync(log, 'utf8')).msg).toBe('unknown signal "FOO"');
  });

  it('usage errors go to the JSON log too', async () => {
    const log = path.join(tmp, 'l4');
    expect(await main(['--log', log, '--log-format', 'json', 'state'])).toBe(1);
    expect(JSON.parse(fs.readFileSync(log, 'utf8')).msg).toBe('"state" requires exactly 1 argument(s)');
  });
});

describe('output formats', () => {
  it('list table aligns like runc\'s tabwriter', () => {
    const row = { ociVersion: '1.2.0', id: 'c1', pid: 22431, status: 'created' as const, bundle: '/tmp/rb', rootfs: '/tmp/rb/rootfs', created: '2026-11-23T10:27:47.266102374Z', owner: 'root' };
    // Byte for byte what runc 1.1.5 printed for the same container.
    expect(formatTable([row])).toBe(
      'ID          PID         STATUS      BUNDLE      CREATED                          OWNER\n' +
        'c1          22431       created     /tmp/rb     2026-11-23T10:27:47.266102374Z   root\n',
    );
    expect(formatTable([])).toBe('ID          PID         STATUS      BUNDLE      CREATED     OWNER\n');
  });

  it('log lines: json and logrus text in files, plain text on stderr', () => {
    const t = '2026-01-02T03:04:05Z';
    expect(formatLine('error', 'x "y"', 'json', true, t)).toBe('{"level":"error","msg":"x \\"y\\"","time":"2026-01-02T03:04:05Z"}\n');
    expect(formatLine('error', 'x "y"', 'text', true, t)).toBe('time="2026-01-02T03:04:05Z" level=error msg="x \\"y\\""\n');
    expect(formatLine('error', 'boom', 'text', false, t)).toBe('tsrun: boom\n');
    expect(formatLine('warning', 'hm', 'text', false, t)).toBe('tsrun: warning: hm\n');
    // --debug lines keep runc's layout on stderr too (scripts grep them as runc's).
    expect(formatLine('debug', 'hm', 'text', false, t)).toBe('time="2026-01-02T03:04:05Z" level=debug msg="hm"\n');
  });
});
