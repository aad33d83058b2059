// GitHub: X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256(secret, raw body).
// Signs with @octokit/webhooks-methods sign() and records verify()'s verdict.
import { sdk, sdkLabel, kase, write } from './_common.mjs';

const { sign, verify } = await sdk('@octokit/webhooks-methods');
const SECRET = 'test-github-webhook-secret';
const URL = 'https://hooks.example.test/github';

const push = JSON.stringify({ ref: 'refs/heads/main', before: '0'.repeat(40), after: 'a'.repeat(40),
  repository: { id: 1, full_name: 'octo-org/demo' }, sender: { login: 'octocat' } });
const issue = JSON.stringify({ action: 'opened', issue: { number: 7, title: 'Ünïcödé ✓ title' },
  repository: { id: 1, full_name: 'octo-org/demo' } });
const ping = '{\n  "zen": "Keep it logically awesome.",\n  "hook_id": 42\n}';

const headers = (event, guid, sig) => [
  ['Content-Type', 'application/json'],
  ['User-Agent', 'GitHub-Hookshot/abc1234'],
  ['X-GitHub-Event', event],
  ['X-GitHub-Delivery', guid],
  ['X-GitHub-Hook-ID', '42'],
  ...(sig === undefined ? [] : [['X-Hub-Signature-256', sig]]),
];

async function check(sig, body) {
  try { return { ok: await verify(SECRET, body, sig) }; }
  catch (e) { return { ok: false, detail: `verify() threw ${e.name}: ${e.message}` }; }
}

const cases = [];
async function add(name, event, guid, body, sig, note, sigForCheck = sig) {
  const r = await check(sigForCheck, body);
  cases.push(kase(name, { url: URL, headers: headers(event, guid, sig), body, accepts: r.ok, note, detail: r.detail }));
}

const G1 = '5f1c7a2e-0d1b-11f0-8a5b-000000000001';
const G2 = '5f1c7a2e-0d1b-11f0-8a5b-000000000002';
const G3 = '5f1c7a2e-0d1b-11f0-8a5b-000000000003';
const sPush = await sign(SECRET, push);
await add('valid_push', 'push', G1, push, sPush, 'signed by sign(); compact JSON body');
await add('valid_issues_non_ascii', 'issues', G2, issue, await sign(SECRET, issue), 'UTF-8 body; HMAC is over the UTF-8 bytes');
await add('valid_ping_pretty_json', 'ping', G3, ping, await sign(SECRET, ping), 'whitespace and newlines in the body are signed as-is');
await add('valid_redelivery_same_guid', 'push', G1, push, sPush,
  'a redelivery carries the same X-GitHub-Delivery GUID and the same signature: dedupe must treat it as a duplicate of valid_push');
await add('tampered_body', 'push', G1, push.replace('octocat', 'octocaT'), sPush, 'body changed after signing');
const wrong = await sign('some-other-secret', push);
await add('wrong_secret', 'push', G1, push, wrong, 'signed with a different secret');
const flipped = sPush.slice(0, -1) + (sPush.endsWith('0') ? '1' : '0');
await add('wrong_signature_same_format', 'push', G1, push, flipped, 'last hex digit changed');
await add('uppercase_hex', 'push', G1, push, 'sha256=' + sPush.slice(7).toUpperCase(),
  'the correct digest in upper-case hex: verify() compares the strings byte for byte');
await add('sha1_prefix', 'push', G1, push, 'sha1=' + sPush.slice(7), 'right digest, wrong algorithm prefix');
await add('bare_hex_no_prefix', 'push', G1, push, sPush.slice(7), 'digest without the "sha256=" prefix');
await add('missing_signature_header', 'push', G1, push, undefined, 'no X-Hub-Signature-256 header at all', '');

write('github', sdkLabel('@octokit/webhooks-methods'), ['sign(secret, payload)', 'verify(secret, eventPayload, signature)'],
  { secret: SECRET }, cases);
