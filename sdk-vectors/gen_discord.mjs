// Discord interactions: X-Signature-Ed25519 = hex Ed25519 signature over X-Signature-Timestamp + raw body,
// checked with the application's hex public key. discord-interactions has no signing function: the
// keypair is derived from a fixed test seed and messages are signed with node:crypto (Ed25519 is
// deterministic); every verdict is discord-interactions verifyKey()'s.
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { sdk, sdkLabel, kase, write, NOW } from './_common.mjs';

const { verifyKey } = await sdk('discord-interactions');
const PKCS8_ED25519_PREFIX = '302e020100300506032b657004220420';
const keyFromSeed = (seedHex) => createPrivateKey({ key: Buffer.from(PKCS8_ED25519_PREFIX + seedHex, 'hex'), format: 'der', type: 'pkcs8' });
const rawPublicHex = (priv) => createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');

const SEED = Buffer.from('webhook-receiver discord test!!!').toString('hex'); // 32 bytes, test only
const KEY = keyFromSeed(SEED), PUBLIC = rawPublicHex(KEY);
const OTHER = keyFromSeed(Buffer.from('some other discord test key 0000').toString('hex'));
const edSign = (ts, body, key = KEY) => sign(null, Buffer.from(ts + body), key).toString('hex');
const URL = 'https://hooks.example.test/discord/interactions';

const ping = JSON.stringify({ id: '1300000000000000001', application_id: '1200000000000000000', type: 1, token: 'test-token', version: 1 });
const command = JSON.stringify({ id: '1300000000000000002', application_id: '1200000000000000000', type: 2, token: 'test-token', version: 1,
  data: { id: '1100000000000000000', name: 'greet', type: 1, options: [{ name: 'who', type: 3, value: 'Zoë' }] },
  guild_id: '1000000000000000000', member: { user: { id: '900000000000000000', username: 'tester' } } });

const cases = [];
async function add(name, body, ts, sig, note, sdkSpecific = false) {
  const headers = [['Content-Type', 'application/json'], ['User-Agent', 'Discord-Interactions/1.0 (+https://discord.com)'],
    ...(sig === undefined ? [] : [['X-Signature-Ed25519', sig]]), ...(ts === undefined ? [] : [['X-Signature-Timestamp', ts]])];
  const ok = await verifyKey(body, sig ?? '', ts ?? '', PUBLIC);
  cases.push(kase(name, { url: URL, headers, body, accepts: ok, note, sdkSpecific }));
}

const T = String(NOW - 1);
const good = edSign(T, ping);
await add('valid_ping', ping, T, good, 'PING (type 1); the app must answer {"type":1}');
await add('valid_application_command', command, T, edSign(T, command), 'APPLICATION_COMMAND (type 2), non-ASCII option value');
await add('valid_old_timestamp', ping, String(NOW - 86400), edSign(String(NOW - 86400), ping), 'verifyKey enforces no timestamp window', true);
await add('valid_uppercase_hex_signature', ping, T, good.toUpperCase(), 'upper-case hex signature: hex decoding is case-insensitive');
await add('tampered_body', ping.replace('"type":1', '"type":2'), T, good, 'body changed after signing');
await add('timestamp_changed', ping, String(NOW - 2), good, 'timestamp header changed, signature kept');
await add('wrong_key', ping, T, edSign(T, ping, OTHER), 'signed by a different Ed25519 key');
await add('wrong_signature_same_format', ping, T, good.slice(0, -2) + (good.endsWith('00') ? '01' : '00'), 'last byte of the signature changed');
await add('signed_body_only', ping, T, edSign('', ping), 'signature over the body without the timestamp prefix');
await add('truncated_signature', ping, T, good.slice(0, 64), 'only the first 32 bytes of the signature');
await add('missing_signature_header', ping, T, undefined, 'no X-Signature-Ed25519');
await add('missing_timestamp_header', ping, undefined, good, 'no X-Signature-Timestamp');

write('discord', sdkLabel('discord-interactions'), ['verifyKey(rawBody, signature, timestamp, clientPublicKey)'],
  { public_key: PUBLIC, private_key_seed_hex: SEED }, cases,
  { signing: 'no SDK signer: Ed25519 signatures made in gen_discord.mjs with node:crypto from the fixed seed; verdicts from the SDK',
    id_and_type: 'body fields id (interaction id) and type (1 PING, 2 APPLICATION_COMMAND, 3 MESSAGE_COMPONENT, 4 AUTOCOMPLETE, 5 MODAL_SUBMIT); no id/type headers' });
