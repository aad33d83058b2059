// Linear: Linear-Signature = hex HMAC-SHA256(webhook secret, raw body); the body's webhookTimestamp
// (UNIX milliseconds) must be within 60 s of now. @linear/sdk has no signing function: the HMAC is
// built here with node:crypto per Linear's docs and the verdict is LinearWebhookClient.verify()'s,
// with Date.now() frozen at the case's "now".
import { createHmac } from 'node:crypto';
import { sdk, sdkLabel, kase, write, freezeClock, NOW } from './_common.mjs';

const { LinearWebhookClient } = await sdk('@linear/sdk/webhooks');
const SECRET = 'lin_wh_test_0123456789abcdef0123456789abcdef';
const URL = 'https://hooks.example.test/linear';
const client = new LinearWebhookClient(SECRET);
const docSign = (body, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');

const issue = (ts, extra = {}) => JSON.stringify({ action: 'create', type: 'Issue', createdAt: '2025-12-31T23:59:59.000Z',
  organizationId: 'org-test-0001', webhookId: 'wh-test-0001', url: 'https://linear.app/example/issue/ENG-1',
  data: { id: 'issue-test-0001', identifier: 'ENG-1', title: 'Crème brûlée' }, ...(ts === undefined ? {} : { webhookTimestamp: ts }), ...extra });
const comment = JSON.stringify({ action: 'update', type: 'Comment', organizationId: 'org-test-0001', webhookId: 'wh-test-0001',
  data: { id: 'comment-test-0001', body: 'LGTM' }, updatedFrom: { body: 'LGTM?' }, webhookTimestamp: NOW * 1000 - 1500 });

const headers = (event, delivery, sig, tsHeader) => [
  ['Content-Type', 'application/json; charset=utf-8'], ['User-Agent', 'Linear-Webhook'],
  ['Linear-Delivery', delivery], ['Linear-Event', event],
  ...(tsHeader === undefined ? [] : [['Linear-Timestamp', String(tsHeader)]]),
  ...(sig === undefined ? [] : [['Linear-Signature', sig]]),
];

const cases = [];
function add(name, body, sig, note, { event = 'Issue', tsHeader, now = NOW } = {}) {
  freezeClock(now);
  let ok = false, detail;
  try { ok = client.verify(Buffer.from(body), sig); } catch (e) { detail = `verify() threw ${e.name}: ${e.message}`; }
  cases.push(kase(name, { url: URL, headers: headers(event, '6f2b2a4e-0000-4000-8000-00000000000' + (cases.length % 10), sig, tsHeader),
    body, now, accepts: ok, note, detail }));
}

const ms = NOW * 1000;
const b = issue(ms - 2000);
add('valid_issue_create', b, docSign(b), 'webhookTimestamp 2 s before now (milliseconds)');
add('valid_comment_update', comment, docSign(comment), 'second body', { event: 'Comment' });
add('valid_timestamp_header_ignored', b, docSign(b), 'Linear-Timestamp header far in the past: ignored, only the signed body field counts', { tsHeader: ms - 3600_000 });
for (const [name, off, note] of [['valid_past_edge_60s', -60000, 'exactly 60 s old'], ['valid_future_edge_60s', 60000, '60 s in the future'],
  ['stale_60001ms', -60001, '60.001 s old: rejected'], ['future_60001ms', 60001, '60.001 s in the FUTURE: rejected (two-sided window)']]) {
  const body = issue(ms + off);
  add(name, body, docSign(body), note);
}
const secs = issue(NOW);
add('timestamp_in_seconds', secs, docSign(secs), 'webhookTimestamp given in seconds instead of milliseconds: looks 56 years old');
const none = issue(undefined);
add('missing_body_timestamp', none, docSign(none), 'no webhookTimestamp in the (correctly signed) body', { tsHeader: ms });
const str = issue(String(ms));
add('string_body_timestamp', str, docSign(str), 'webhookTimestamp as a JSON string: rejected, must be a number');
add('tampered_body', b.replace('ENG-1"', 'ENG-2"'), docSign(b), 'body changed after signing');
add('wrong_secret', b, docSign(b, 'lin_wh_other_secret'), 'signed with another secret');
add('wrong_signature_same_format', b, docSign(b + ' '), 'valid-looking hex HMAC of another body');
add('uppercase_hex', b, docSign(b).toUpperCase(), 'correct digest in upper-case hex');
add('sha256_prefix', b, 'sha256=' + docSign(b), 'correct digest with a GitHub-style prefix');
add('missing_signature_header', b, undefined, 'no Linear-Signature');

write('linear', sdkLabel('@linear/sdk'), ['new LinearWebhookClient(secret).verify(rawBody, signature)  // from @linear/sdk/webhooks'],
  { secret: SECRET }, cases,
  { signing: 'no SDK signer: HMAC built in gen_linear.mjs with node:crypto per the documented algorithm; verdicts from the SDK',
    id_and_type: 'headers Linear-Delivery (delivery id) and Linear-Event (entity type); body type, action, webhookId, webhookTimestamp (ms)' });
