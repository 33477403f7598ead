// tsrun as a library, the way a user meets it: examples/hello-container (its own package,
// depending on "tsrun": "file:../..") type-checks against the BUILT package (dist/lib:
// package.json exports/types) and runs busybox containers through the API. What the
// containers print proves where it ran: pid 1 and the container's hostname inside it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(__dirname, '../..');
const EXAMPLE = path.join(REPO, 'examples/hello-container');
const LIB = path.join(REPO, 'dist/lib/index.js');

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!fs.existsSync('/bin/busybox')) return '/bin/busybox missing (apt-get install busybox-static)';
  return undefined;
}
const skip = skipReason();
if (skip) console.warn(`[library] skipped: ${skip}`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-lib-'));
const root = path.join(tmp, 'root');
afterAll(() => {
  // The example deletes its containers; anything left (a failed run) goes with --force.
  for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    spawnSync(path.join(REPO, 'dist/tsrun'), ['--root', root, 'delete', '--force', id]);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(path.join(EXAMPLE, 'dist'), { recursive: true, force: true });
});

describe.skipIf(!!skip)('library API (examples/hello-container)', () => {
  it('type-checks against the built package and runs containers through it', async () => {
    expect(fs.existsSync(LIB), `${LIB} missing: npm run build`).toBe(true);
    // What `npm install` does for a file: dependency: a link in the example's node_modules.
    const link = path.join(EXAMPLE, 'node_modules', 'tsrun');
    if (!fs.existsSync(link)) {
      fs.mkdirSync(path.dirname(link), { recursive: true });
      fs.symlinkSync('../../..', link);
    }
    const tsc = spawnSync(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', EXAMPLE], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);

    // Transpile only (types were just checked): require('tsrun') stays a package import.
    const { build } = await import('esbuild');
    await build({ entryPoints: [path.join(EXAMPLE, 'src/main.ts')], outfile: path.join(EXAMPLE, 'dist/main.js'), platform: 'node', format: 'cjs', logLevel: 'error' });
    const { makeRootfs } = await import(path.join(REPO, 'scripts/mkbundle.mjs'));
    const rootfs = path.join(tmp, 'rootfs');
    makeRootfs(rootfs);
    const out = path.join(tmp, 'out');
    const fd = fs.openSync(out, 'w');
    // stdio to a file: the containers write to the example's fds 1 and 2.
    const r = spawnSync(process.execPath, [path.join(EXAMPLE, 'dist/main.js'), rootfs, root], { stdio: ['ignore', fd, fd], timeout: 60_000 });
    fs.closeSync(fd);
    const text = fs.readFileSync(out, 'utf8');
    expect(r.status, text).toBe(0);
    const lines = text.split('\n');
    expect(lines).toContain('hello from tsrun, pid 1, uid 0');
    expect(lines).toContain('run exited with 0');
    expect(lines).toContain('after create: created');
    expect(lines.find((l) => l.startsWith('after start: '))).toMatch(/^after start: running, pid [1-9]\d*$/);
    expect(lines).toContain('exec sees pid 1 as: sleep 30 ');
    expect(lines).toContain('exec exited with 0');
    expect(lines).toContain('after pause: paused');
    expect(lines).toContain('start refused: code bad-status: cannot start a container that has stopped');
    expect(lines).toContain('containers left: 0');
    expect(fs.readdirSync(root)).toEqual([]);
  }, 240_000);
});
