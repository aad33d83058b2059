// Shared helpers for the Node generators: load SDKs from the scratch npm prefix,
// fixed clock, case records, JSON output.
import { writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
// Where gen_*.mjs write <sender>.json: $SDK_VECTORS_OUT (a scratch directory), else this directory.
export const OUT = process.env.SDK_VECTORS_OUT || HERE;
// Where the crate-signed cases are read from (tests/signed_for_sdks.rs writes them there).
const SIGNED_VAR = 'WEBHOOK_RECEIVER_SIGNED_FOR_SDKS';
export const NPM_PREFIX = process.env.SDKWORK_NPM || '/tmp/sdkwork/npm';
export const NOW = 1767225600; // 2026-01-01T00:00:00Z, the fixed "current time" every verifier is run at

// import() resolves bare names relative to the importing file, so import through a
// one-line shim that lives inside the scratch prefix (next to its node_modules).
const shim = join(NPM_PREFIX, 'sdk-import.mjs');
writeFileSync(shim, 'export default (spec) => import(spec);\n');
const importer = (await import(pathToFileURL(shim).href)).default;
export const sdk = (spec) => importer(spec);

export function sdkLabel(pkg) {
  const v = JSON.parse(readFileSync(join(NPM_PREFIX, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  return `${pkg}@${v} (npm)`;
}

// Freeze Date.now() and new Date() at `seconds` (for SDKs that read the wall clock).
const RealDate = Date;
export function freezeClock(seconds) {
  const ms = seconds * 1000;
  globalThis.Date = class extends RealDate {
    constructor(...a) { super(...(a.length ? a : [ms])); }
    static now() { return ms; }
  };
}

export function kase(name, { headers, body, accepts, note, now = NOW, method = 'POST', url, detail, sdkSpecific }) {
  const c = { name, method };
  if (url !== undefined) c.url = url;
  Object.assign(c, { headers, body, now, sdk_accepts: Boolean(accepts), note });
  if (detail) c.sdk_detail = detail;
  // verdict follows from this SDK's implementation choice, not from the documented scheme
  if (sdkSpecific) c.sdk_specific = true;
  return c;
}

// Print each [name, value] header pair on one line.
const compactPairs = (text) => text.replace(/\[\n\s+("(?:[^"\\]|\\.)*"),\n\s+("(?:[^"\\]|\\.)*")\n\s+\]/g, '[$1, $2]');

export function write(sender, sdkName, functions, material, cases, extra = {}) {
  const doc = { sender, sdk: sdkName, sdk_functions: functions, ...material, ...extra, cases };
  const path = join(OUT, `${sender}.json`);
  writeFileSync(path, compactPairs(JSON.stringify(doc, null, 2)) + '\n');
  console.log(`wrote ${path}: ${cases.length} cases (${cases.filter((c) => c.sdk_accepts).length} accepted)`);
}

// Re-run every case of <sender>.json through a second official SDK and record its verdict
// next to the primary one, under "also_checked". check(case) -> { ok, detail }.
export const header = (c, name) => c.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
export const readVectors = (sender) => JSON.parse(readFileSync(join(OUT, `${sender}.json`), 'utf8'));
export async function crossCheck(sender, label, functions, check) {
  const path = join(OUT, `${sender}.json`);
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  doc.also_checked_with = (doc.also_checked_with || []).filter((s) => s.sdk !== label).concat([{ sdk: label, sdk_functions: functions }]);
  let differ = 0;
  for (const c of doc.cases) {
    const r = await check(c);
    c.also_checked = (c.also_checked || []).filter((x) => x.sdk !== label)
      .concat([{ sdk: label, accepts: Boolean(r.ok), ...(r.detail ? { detail: r.detail } : {}) }]);
    if (Boolean(r.ok) !== c.sdk_accepts) differ++;
  }
  writeFileSync(path, compactPairs(JSON.stringify(doc, null, 2)) + '\n');
  console.log(`cross-checked ${path} with ${label}: ${differ} case(s) where it disagrees with ${doc.sdk}`);
}

// Runs every case the crate's testing kit signed for `sender` through verify(case, doc) -> { ok, detail }
// and exits non-zero, listing the cases, when the SDK's verdict is not the case's "expect". `known` maps a
// case name to [verdict, reason] where this SDK documentedly decides otherwise; an entry that no longer
// holds fails too.
export async function checkSigned(sender, label, verify, known = {}) {
  const dir = process.env[SIGNED_VAR];
  if (!dir) { console.error(`${SIGNED_VAR} is not set: run sdk-vectors/interop.sh`); process.exit(1); }
  const doc = JSON.parse(readFileSync(join(dir, `${sender}.json`), 'utf8'));
  const failures = [];
  const say = (ok) => (ok ? 'accept' : 'reject');
  for (const c of doc.cases) {
    const [expected, reason] = known[c.name] ?? [c.expect, undefined];
    let r;
    try { r = await verify(c, doc); } catch (e) { r = { ok: false, detail: `threw ${e.name}: ${e.message}` }; }
    if (Boolean(r.ok) !== expected) {
      failures.push(`  ${sender}/${c.name}: ${label} says ${say(r.ok)}, expected ${say(expected)} (${c.note}${reason ? '; ' + reason : ''})`
        + (r.detail ? ` -- ${r.detail}` : ''));
    } else if (reason) {
      console.log(`  ${sender}/${c.name}: ${label} says ${say(r.ok)}, as documented: ${reason}`);
    }
  }
  for (const name of Object.keys(known)) {
    if (!doc.cases.some((c) => c.name === name)) failures.push(`  ${sender}/${name}: listed as a documented difference of ${label} but there is no such case`);
  }
  if (failures.length) {
    console.log(`FAIL ${sender} (${doc.signed_by}) checked with ${label}: ${failures.length} disagreement(s)\n${failures.join('\n')}`);
    process.exit(1);
  }
  console.log(`ok   ${sender}: ${label} agrees on all ${doc.cases.length} cases signed by ${doc.signed_by}`);
}
