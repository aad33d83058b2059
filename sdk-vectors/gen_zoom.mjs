// Zoom: x-zm-signature = "v0=" + hex HMAC-SHA256(secret token, "v0:<x-zm-request-timestamp>:<body>").
// @zoom/rivet has no signing function: the HMAC is built here with node:crypto per Zoom's docs, and the
// verdict is that of Rivet's AwsLambdaReceiver (status 200 = accepted), which checks the signature
// internally (CommonHttpRequest.isEventVerified). NOTE: Rivet signs JSON.stringify(JSON.parse(body)),
// not the raw body, and enforces no timestamp window; both show up in the cases below.
import { createHmac } from 'node:crypto';
import { sdk, sdkLabel, kase, write, NOW } from './_common.mjs';

const { AwsLambdaReceiver } = await sdk('@zoom/rivet/meetings');
console.debug = () => {}; // the receiver logs every event at debug level
const SECRET = 'test-zoom-secret-token-0123456789';
const URL = 'https://hooks.example.test/zoom';
const handler = new AwsLambdaReceiver({ webhooksSecretToken: SECRET }).start();
const docSign = (ts, body, secret = SECRET) => 'v0=' + createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex');

const started = JSON.stringify({ event: 'meeting.started', event_ts: NOW * 1000 - 1000,
  payload: { account_id: 'AAAAAAAAAAAAAAAAAAAAAA', object: { id: '1234567890', uuid: 'abcDEF123==', topic: 'Test meeting' } } });
const ended = JSON.stringify({ event: 'meeting.ended', event_ts: NOW * 1000, payload: { account_id: 'AAAAAAAAAAAAAAAAAAAAAA', object: { id: '1234567890' } } });
const urlValidation = JSON.stringify({ event: 'endpoint.url_validation', event_ts: NOW * 1000, payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' } });
const pretty = JSON.stringify(JSON.parse(started), null, 2);
const escaped = started.replace('Test meeting', 'Caf\\u00e9 meeting');

const cases = [];
async function add(name, body, ts, sig, note, sdkSpecific = false) {
  const headers = [['Content-Type', 'application/json'], ['x-zm-trackingid', 'v=2.0&s=test&t=1'],
    ...(ts === undefined ? [] : [['x-zm-request-timestamp', String(ts)]]), ...(sig === undefined ? [] : [['x-zm-signature', sig]])];
  const res = await handler({ body, headers: Object.fromEntries(headers), isBase64Encoded: false }, {});
  cases.push(kase(name, { url: URL, headers, body, accepts: res.statusCode === 200, note, detail: `status ${res.statusCode} ${res.body}`, sdkSpecific }));
}

const T = NOW - 1;
await add('valid_meeting_started', started, T, docSign(T, started), 'compact JSON body, identical to JSON.stringify of itself');
await add('valid_meeting_ended', ended, NOW, docSign(NOW, ended), 'second body');
await add('valid_url_validation', urlValidation, T, docSign(T, urlValidation),
  'endpoint.url_validation: Rivet answers {plainToken, encryptedToken = hex HMAC-SHA256(secret, plainToken)} (see sdk_detail)');
await add('valid_one_day_old', started, NOW - 86400, docSign(NOW - 86400, started), 'SDK enforces NO timestamp window: a day-old timestamp passes', true);
await add('valid_one_day_future', started, NOW + 86400, docSign(NOW + 86400, started), 'nor a future one', true);
await add('pretty_body_signed_raw', pretty, T, docSign(T, pretty),
  'SURPRISING: pretty-printed body signed over its raw bytes is REJECTED, because Rivet re-serialises the parsed JSON before hashing', true);
await add('valid_pretty_body_signed_reserialised', pretty, T, docSign(T, JSON.stringify(JSON.parse(pretty))),
  'SURPRISING: signature over the re-serialised compact JSON is ACCEPTED although it does not match the raw body', true);
await add('escaped_unicode_signed_raw', escaped, T, docSign(T, escaped),
  '"\\u00e9" escape in the raw body: Rivet hashes the re-serialised "é", so the raw-body signature fails', true);
await add('leading_zero_timestamp_signed_raw', started, '0' + T, docSign('0' + T, started),
  'timestamp header "0<ts>" signed as sent: Rivet hashes Number(header).toString() and rejects', true);
await add('tampered_body', started.replace('Test meeting', 'Test meetinG'), T, docSign(T, started), 'body changed after signing');
await add('wrong_secret', started, T, docSign(T, started, 'another-secret-token'), 'signed with another secret token');
await add('wrong_signature_same_format', started, T, docSign(T - 1, started), 'signature for another timestamp');
await add('uppercase_hex', started, T, 'v0=' + docSign(T, started).slice(3).toUpperCase(), 'correct digest in upper-case hex');
await add('missing_signature_header', started, T, undefined, 'no x-zm-signature (timestamp present)');
await add('missing_both_headers', started, undefined, undefined, 'neither x-zm-signature nor x-zm-request-timestamp');

write('zoom', sdkLabel('@zoom/rivet'),
  ['new AwsLambdaReceiver({ webhooksSecretToken }).start()(event)  // from @zoom/rivet/meetings; 200 = verified'],
  { secret: SECRET }, cases,
  { signing: 'no SDK signer: HMAC built in gen_zoom.mjs with node:crypto per the documented algorithm; verdicts from the SDK',
    id_and_type: 'body field event (type) and event_ts (ms); no delivery-id header (x-zm-trackingid is a tracing value, not documented as an id)' });
