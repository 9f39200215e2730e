#!/usr/bin/env node
// Checks the UI's message catalogues (src/i18n/en.json, ja.json):
//  1. both have exactly the same keys, no empty messages, the same {placeholders};
//  2. every key the source uses literally (t('...')) exists;
//  3. every record kind, field and enum option of the engine schema has a label
//     (kind.<k>, kinds.<k>, field.<k>.<f> or field.<f>, enum.<f>.<option>), and every
//     unit dimension and currency of the unit catalogue has one too.
// The schema is parsed from crates/core/src/kinds.rs (and assets/units.toml); when the
// UI is checked outside the repository, scripts/schema-snapshot.json is used instead.
// `node scripts/check-i18n.mjs --update-snapshot` rewrites that snapshot.
// Engine error codes without an error.<code> message are reported as warnings (the UI
// then shows the engine's English message).

import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ui = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(ui, '..');
const snapshotPath = join(ui, 'scripts', 'schema-snapshot.json');
const problems = [];
const warnings = [];

// ---------------------------------------------------------------- catalogues

const load = (name) => JSON.parse(readFileSync(join(ui, 'src', 'i18n', name), 'utf8'));
const en = load('en.json');
const ja = load('ja.json');

for (const [a, an, b, bn] of [
  [en, 'en.json', ja, 'ja.json'],
  [ja, 'ja.json', en, 'en.json'],
]) {
  for (const key of Object.keys(a)) {
    if (!(key in b)) problems.push(`${bn} lacks "${key}" (present in ${an})`);
  }
}
const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
for (const [cat, name] of [
  [en, 'en.json'],
  [ja, 'ja.json'],
]) {
  for (const [key, value] of Object.entries(cat)) {
    if (typeof value !== 'string' || value.trim() === '') problems.push(`${name}: "${key}" is empty or not text`);
  }
}
for (const key of Object.keys(en)) {
  if (key in ja && typeof en[key] === 'string' && typeof ja[key] === 'string' && placeholders(en[key]) !== placeholders(ja[key])) {
    problems.push(`"${key}": placeholders differ (en {${placeholders(en[key])}} vs ja {${placeholders(ja[key])}})`);
  }
}

// ---------------------------------------------------------------- keys used in the source

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.(ts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}
let used = 0;
for (const file of walk(join(ui, 'src'))) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/\bt\(\s*(['"])([^'"\n]+)\1/g)) {
    used++;
    const key = m[2];
    for (const [cat, name] of [
      [en, 'en.json'],
      [ja, 'ja.json'],
    ]) {
      if (!(key in cat)) problems.push(`${relative(ui, file)} uses "${key}", missing from ${name}`);
    }
  }
}

// ---------------------------------------------------------------- the engine's schema

function parseKinds(text) {
  const consts = new Map();
  // Option codes may contain hyphens (methodology ids such as `solar-pv`).
  const codes = (list) => [...list.matchAll(/"([\w-]+)"/g)].map((x) => x[1]);
  for (const m of text.matchAll(/pub const (\w+): &\[&str\] = &\[([^\]]*)\];/g)) {
    consts.set(m[1], codes(m[2]));
  }
  // `attest("x")` in kinds.rs is an enum field with the options of `const fn attest`.
  const attest = /const fn attest\([\s\S]*?options:\s*&\[([^\]]*)\]/.exec(text);
  const start = text.indexOf('pub const KINDS');
  if (start < 0) throw new Error('kinds.rs: no `pub const KINDS`');
  const body = text.slice(start, text.indexOf('\n];', start));
  const kinds = [];
  for (const chunk of body.split(/KindSpec\s*\{/).slice(1)) {
    const name = /name:\s*"(\w+)"/.exec(chunk)?.[1];
    if (!name) continue;
    // `duty("x")` in kinds.rs is a field whose options are DUTY_STATUS.
    const calls = [...chunk.matchAll(/\b(required|field|duty|attest)\(\s*"(\w+)"/g)].map((m) => {
      const call = [m[0], m[2]];
      call.index = m.index;
      call.duty = m[1] === 'duty';
      call.attest = m[1] === 'attest';
      return call;
    });
    const fields = calls.map((m, i) => {
      const end = i + 1 < calls.length ? calls[i + 1].index : chunk.length;
      const span = chunk.slice(m.index, end);
      const en = /FieldType::Enum\s*\{\s*options:\s*(?:&\[([^\]]*)\]|(\w+))/.exec(span);
      let options = m.duty ? consts.get('DUTY_STATUS') : m.attest ? attest && codes(attest[1]) : null;
      if (m.duty && !options) throw new Error('kinds.rs: duty() used but no DUTY_STATUS list');
      if (m.attest && !options) throw new Error('kinds.rs: attest() used but its options not found');
      if (en && !m.attest) {
        options = en[1] !== undefined ? codes(en[1]) : consts.get(en[2]);
        if (!options) throw new Error(`kinds.rs: ${name}.${m[1]} uses unknown option list ${en[2]}`);
      }
      return options ? { name: m[1], options } : { name: m[1] };
    });
    kinds.push({ name, fields });
  }
  if (kinds.length === 0) throw new Error('kinds.rs: no kinds found');
  return kinds;
}

function parseUnits(text) {
  const dims = [];
  const section = /\[dimensions\]([\s\S]*?)\n\[/.exec(text);
  if (section) for (const m of section[1].matchAll(/^(\w+)\s*=/gm)) dims.push(m[1]);
  const currencies = [...text.matchAll(/\[\[currency\]\]\s*\ncode\s*=\s*"(\w+)"/g)].map((m) => m[1]);
  return { dimensions: dims, currencies };
}

function engineErrorCodes() {
  const codes = new Set();
  const files = [join(repo, 'crates', 'core', 'src', 'validate.rs'), join(repo, 'crates', 'store', 'src', 'error.rs')];
  const storeDir = join(repo, 'crates', 'store', 'src');
  if (existsSync(storeDir)) for (const f of readdirSync(storeDir)) files.push(join(storeDir, f));
  for (const f of files) {
    if (!existsSync(f) || !f.endsWith('.rs')) continue;
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\b(?:err|ValidationError::new)\(\s*(?:(?:[\w.]+|"\w+"),\s*)?"(\w+)"/g)) codes.add(m[1]);
    for (const m of text.matchAll(/StoreError::\w+(?:\([^)]*\)|\s*\{[^}]*\})?\s*=>\s*"(\w+)"/g)) codes.add(m[1]);
  }
  return [...codes].sort();
}

const kindsRs = join(repo, 'crates', 'core', 'src', 'kinds.rs');
const unitsToml = join(repo, 'assets', 'units.toml');
let snapshot;
if (existsSync(kindsRs) && existsSync(unitsToml)) {
  snapshot = {
    kinds: parseKinds(readFileSync(kindsRs, 'utf8')),
    units: parseUnits(readFileSync(unitsToml, 'utf8')),
    errors: engineErrorCodes(),
  };
  if (process.argv.includes('--update-snapshot')) {
    writeFileSync(snapshotPath, JSON.stringify(snapshot, null, 2) + '\n');
    console.log(`wrote ${relative(ui, snapshotPath)}`);
  }
} else if (existsSync(snapshotPath)) {
  console.warn('kinds.rs not found: checking against scripts/schema-snapshot.json');
  snapshot = JSON.parse(readFileSync(snapshotPath, 'utf8'));
} else {
  problems.push('neither crates/core/src/kinds.rs nor scripts/schema-snapshot.json found');
  snapshot = { kinds: [], units: { dimensions: [], currencies: [] }, errors: [] };
}

const need = (key, what) => {
  for (const [cat, name] of [
    [en, 'en.json'],
    [ja, 'ja.json'],
  ]) {
    if (!(key in cat)) problems.push(`${name} lacks "${key}" (${what})`);
  }
};
let labels = 0;
for (const kind of snapshot.kinds) {
  need(`kind.${kind.name}`, `label of kind ${kind.name}`);
  need(`kinds.${kind.name}`, `plural label of kind ${kind.name}`);
  labels += 2;
  for (const f of kind.fields) {
    labels++;
    const specific = `field.${kind.name}.${f.name}`;
    const general = `field.${f.name}`;
    for (const [cat, name] of [
      [en, 'en.json'],
      [ja, 'ja.json'],
    ]) {
      if (!(specific in cat) && !(general in cat)) {
        problems.push(`${name} lacks "${specific}" or "${general}" (label of field ${kind.name}.${f.name})`);
      }
    }
    for (const option of f.options ?? []) {
      labels++;
      need(`enum.${f.name}.${option}`, `option ${option} of ${kind.name}.${f.name}`);
    }
  }
}
for (const d of snapshot.units.dimensions) {
  labels++;
  need(`dimension.${d}`, `unit dimension ${d}`);
}
for (const c of snapshot.units.currencies) {
  labels++;
  need(`currency.${c}`, `currency ${c}`);
}
for (const code of snapshot.errors ?? []) {
  if (!(`error.${code}` in en) || !(`error.${code}` in ja)) warnings.push(`no "error.${code}" message (the English engine message is shown)`);
}

// ---------------------------------------------------------------- report

for (const w of warnings) console.warn(`warning: ${w}`);
if (problems.length > 0) {
  for (const p of problems) console.error(`i18n: ${p}`);
  console.error(`check-i18n: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(
  `check-i18n: ok — ${Object.keys(en).length} keys in en.json and ja.json, ${used} uses in the source, ` +
    `${labels} schema labels (${snapshot.kinds.length} kinds)`,
);
