#!/usr/bin/env node
// Where tsrun's time goes, per command and phase (run as root; never part of a test suite).
//
//   node scripts/phases.mjs [--iterations N=15] [--tsrun PATH=dist/tsrun]
//
// Runs create -> state -> start -> kill KILL -> (stopped) -> delete on a busybox
// `sleep 100` container N times with TSRUN_TIMING=1 (see src/common/timing.ts) and prints, per
// command, the median milliseconds of each marked phase. Each row's value is the time since
// the previous mark (the first: since the process started, process.uptime(); on Bun that
// is the runtime's whole start-up); "total" is the last mark; "wall" is spawn to exit as
// seen from here (exec, dynamic linking and exit included). Everything lives in a private temp dir, removed at the end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { makeBundle } from './mkbundle.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const N = Number(opt('--iterations', '15'));
const BIN = path.resolve(REPO, opt('--tsrun', 'dist/tsrun'));
if (process.getuid() !== 0) {
  console.error('phases: must run as root (it creates containers)');
  process.exit(2);
}
if (!fs.existsSync(BIN)) {
  console.error(`phases: ${BIN} does not exist (npm run build)`);
  process.exit(2);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-phases-'));
const root = path.join(tmp, 'root');
const bundle = makeBundle(path.join(tmp, 'bundle'), { args: ['sleep', '100'] });
const env = { ...process.env, TSRUN_TIMING: '1' };
delete env.NODE_EXTRA_CA_CERTS;

/** command -> label -> [ms...] (label order kept from the first run). */
const phases = new Map();
/** "command label" -> [RSS MiB at that mark...]. */
const rssOf = new Map();

function tsrun(cmd, ...rest) {
  // stderr to a file: a created init inherits it and would hold a pipe open.
  const errFile = path.join(tmp, 'stderr');
  const fd = fs.openSync(errFile, 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(BIN, ['--root', root, cmd, ...rest], { env, stdio: ['ignore', 'ignore', fd] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  fs.closeSync(fd);
  const text = fs.readFileSync(errFile, 'utf8');
  if (r.status !== 0) throw new Error(`tsrun ${cmd} ${rest.join(' ')}: exit ${r.status}: ${text}`);
  const rows = phases.get(cmd) ?? new Map();
  phases.set(cmd, rows);
  let last = 0;
  for (const m of text.matchAll(/^tsrun timing:\s+([\d.]+) ms\s+\(\+\s*([\d.]+)\)\s+(.*)$/gm)) {
    const rss = /^(.*) \[rss ([\d.]+) MiB\]$/.exec(m[3]);
    const label = rss ? rss[1] : m[3];
    (rows.get(label) ?? rows.set(label, []).get(label)).push(Number(m[2]));
    if (rss) (rssOf.get(`${cmd} ${label}`) ?? rssOf.set(`${cmd} ${label}`, []).get(`${cmd} ${label}`)).push(Number(rss[2]));
    last = Number(m[1]);
  }
  (rows.get('total') ?? rows.set('total', []).get('total')).push(last);
  (rows.get('wall') ?? rows.set('wall', []).get('wall')).push(wall);
}

function status(id) {
  const r = spawnSync(BIN, ['--root', root, 'state', id], { encoding: 'utf8' });
  return r.status === 0 ? JSON.parse(r.stdout).status : 'gone';
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  for (let i = 0; i < N + 1; i++) {
    const id = `phases-${process.pid}-${i}`;
    tsrun('create', '--bundle', bundle, id);
    tsrun('state', id);
    tsrun('start', id);
    tsrun('kill', id, 'KILL');
    for (let t = 0; status(id) !== 'stopped' && t < 2000; t++) await new Promise((r) => setTimeout(r, 1));
    tsrun('delete', id);
    if (i === 0) for (const rows of phases.values()) for (const xs of rows.values()) xs.length = 0; // warm-up
  }
  console.log(`## tsrun phases (median of ${N}, ms; ${os.hostname()}, ${os.cpus().length} CPUs, node ${process.version})\n`);
  for (const [cmd, rows] of phases) {
    console.log(`| \`${cmd}\` phase | ms | RSS after (MiB) |\n|---|---:|---:|`);
    for (const [label, xs] of rows) {
      const rss = rssOf.get(`${cmd} ${label}`);
      console.log(`| ${label === 'total' || label === 'wall' ? `**${label}**` : label} | ${median(xs).toFixed(1)} | ${rss ? median(rss).toFixed(1) : ''} |`);
    }
    console.log('');
  }
} finally {
  for (const id of fs.existsSync(root) ? fs.readdirSync(root).filter((n) => !n.startsWith('.')) : []) {
    spawnSync(BIN, ['--root', root, 'delete', '--force', id]);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}
