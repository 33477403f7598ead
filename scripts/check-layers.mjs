#!/usr/bin/env node
// The layer rule and the no-cycle rule over src/, checked from the import statements:
//   cli, boot, cache-sets -> (index) -> runtime -> linux, oci, native, version -> common
// A file may import its own layer or lower ones (siblings at one rank, like linux and oci,
// may import each other); common imports nothing of ours; nothing imports cli or the
// executable's entry files except themselves. Every import counts, `import type` and
// lazy import() included: a type-only upward import is still an upward dependency.
// Prints one line per violation and exits 1; `--json` prints {violations, cycles}.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');

/** rank of each layer; a file may import files of equal or lower rank. */
const RANK = { common: 0, linux: 1, oci: 1, native: 1, version: 1, runtime: 2, index: 3, cli: 4, boot: 4, 'cache-sets': 4 };

export function layerOf(rel) {
  const first = rel.split('/')[0];
  const name = first.endsWith('.ts') ? first.slice(0, -3) : first;
  if (!(name in RANK)) throw new Error(`${rel}: in no layer (add it to RANK in scripts/check-layers.mjs)`);
  return name;
}

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.ts$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Relative imports of a file, resolved to repo-relative .ts paths under src/. */
export function importsOf(file) {
  const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec.startsWith('.')) continue;
    const base = path.resolve(path.dirname(file), spec);
    const target = [`${base}.ts`, path.join(base, 'index.ts'), base].find((p) => p.endsWith('.ts') && fs.existsSync(p));
    // Generated validators (.js, made by the build) are part of oci/.
    out.push(target ?? base);
  }
  return out;
}

/** Check the tree under src (default: the repo's src/). */
export function check(src = SRC) {
  const SRC_ = src;
  const files = walk(SRC_);
  const rel = (p) => path.relative(SRC_, p);
  const graph = new Map();
  const violations = [];
  for (const f of files) {
    const from = layerOf(rel(f));
    const deps = importsOf(f);
    graph.set(f, deps.filter((d) => d.endsWith('.ts')));
    for (const d of deps) {
      if (!d.startsWith(SRC_ + path.sep)) {
        violations.push(`${rel(f)} imports ${path.relative(SRC_, d)}, outside src/`);
        continue;
      }
      const to = layerOf(rel(d));
      const bad = from === 'common' ? to !== 'common' : RANK[to] > RANK[from] || (to === 'cli' && RANK[from] < RANK.cli);
      if (bad) violations.push(`${rel(f)} (${from}) imports ${rel(d)} (${to}): upward`);
    }
  }
  // Cycles: Tarjan's strongly connected components of the file graph.
  const cycles = [];
  const index = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  let n = 0;
  const visit = (v) => {
    index.set(v, n);
    low.set(v, n++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(rel(w));
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return { files: files.length, violations, cycles };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const r = check();
  if (process.argv.includes('--json')) console.log(JSON.stringify(r, null, 2));
  for (const v of r.violations) console.error(`layers: ${v}`);
  for (const c of r.cycles) console.error(`layers: import cycle: ${c.join(' <-> ')}`);
  if (r.violations.length || r.cycles.length) process.exit(1);
  console.log(`layers: ${r.files} files, no upward import, no cycle`);
}
