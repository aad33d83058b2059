// Shared helpers for the Node generators: load SDKs from the scratch npm prefix,
// fixed clock, case records, JSON output.
import { writeFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
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
  const path = join(HERE, `${sender}.json`);
  writeFileSync(path, compactPairs(JSON.stringify(doc, null, 2)) + '\n');
  console.log(`wrote ${path}: ${cases.length} cases (${cases.filter((c) => c.sdk_accepts).length} accepted)`);
}

// Re-run every case of <sender>.json through a second official SDK and record its verdict
// next to the primary one, under "also_checked". check(case) -> { ok, detail }.
export const header = (c, name) => c.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
export async function crossCheck(sender, label, functions, check) {
  const path = join(HERE, `${sender}.json`);
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
