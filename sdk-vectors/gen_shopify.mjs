// Shopify: X-Shopify-Hmac-Sha256 = base64 HMAC-SHA256(app client secret, raw body).
// Signs with the SDK's own test helper getHmac() (@shopify/shopify-api/test-helpers) and records
// shopify.webhooks.validate()'s verdict (node adapter, rawBody = the exact body text).
import { sdk, sdkLabel, kase, write } from './_common.mjs';

await sdk('@shopify/shopify-api/adapters/node');
const { shopifyApi, ApiVersion, LogSeverity } = await sdk('@shopify/shopify-api');
const { getHmac } = await sdk('@shopify/shopify-api/test-helpers');

const SECRET = 'test-shopify-client-secret';
const URL = 'https://hooks.example.test/shopify';
const shopify = shopifyApi({ apiKey: 'test-api-key', apiSecretKey: SECRET, apiVersion: ApiVersion.October25,
  hostName: 'hooks.example.test', isEmbeddedApp: false, logger: { level: LogSeverity.Error, log: () => {} } });

const order = JSON.stringify({ id: 820982911946154500, email: 'jon@example.com', total_price: '199.00', note: 'Grüße' });
const product = JSON.stringify({ id: 632910392, title: 'IPod Nano - 8GB', handle: 'ipod-nano' });

const base = (topic, webhookId, eventId, hmac) => [
  ['Content-Type', 'application/json'],
  ['X-Shopify-Topic', topic],
  ['X-Shopify-Shop-Domain', 'example.myshopify.com'],
  ['X-Shopify-API-Version', '2025-10'],
  ['X-Shopify-Webhook-Id', webhookId],
  ['X-Shopify-Event-Id', eventId],
  ['X-Shopify-Triggered-At', '2025-12-31T23:59:58.123456789Z'],
  ...(hmac === undefined ? [] : [['X-Shopify-Hmac-Sha256', hmac]]),
];

async function validate(headers, body) {
  // The node adapter reads headers from an IncomingMessage-like object (lower-case names).
  const rawRequest = { method: 'POST', url: '/shopify', headers: Object.fromEntries(headers.map(([n, v]) => [n.toLowerCase(), v])) };
  const r = await shopify.webhooks.validate({ rawBody: body, rawRequest, rawResponse: {} });
  const { valid, ...rest } = r;
  return { ok: valid, detail: JSON.stringify(rest) };
}

const cases = [];
async function add(name, body, headers, note, sdkSpecific = false) {
  const r = await validate(headers, body);
  cases.push(kase(name, { url: URL, headers, body, accepts: r.ok, note, detail: r.detail, sdkSpecific }));
}
const drop = (headers, name) => headers.filter(([n]) => n !== name);

const h = getHmac(order, SECRET);
const W1 = 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043', W2 = 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd044', W3 = 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd045';
const E1 = '98880550-7158-44d4-b7cd-2c97c8a091b5', E2 = '98880550-7158-44d4-b7cd-2c97c8a091b6';
await add('valid_order_create', order, base('orders/create', W1, E1, h), 'non-ASCII body; validate() returns webhookId, topic, eventId');
await add('valid_product_update', product, base('products/update', W2, E2, getHmac(product, SECRET)), 'second body');
await add('valid_same_event_new_webhook_id', order, base('orders/create', W3, E1, h),
  'same X-Shopify-Event-Id as valid_order_create but a different X-Shopify-Webhook-Id (the event delivered to a second subscription, or a redelivery)');
await add('valid_without_event_id', order, drop(base('orders/create', W1, E1, h), 'X-Shopify-Event-Id'),
  'X-Shopify-Event-Id is optional for validate()');
await add('valid_events_api_unprefixed_headers', product, [['Content-Type', 'application/json'],
  ['shopify-topic', 'products/update'], ['shopify-shop-domain', 'example.myshopify.com'], ['shopify-api-version', '2025-10'],
  ['shopify-webhook-id', W2], ['shopify-handle', 'my-subscription'], ['shopify-action', 'update'],
  ['shopify-hmac-sha256', getHmac(product, SECRET)]],
  'the SDK also accepts the newer "Events" delivery, whose headers have no X- prefix (shopify-hmac-sha256, shopify-webhook-id, ...)');
await add('tampered_body', order.replace('199.00', '1.00'), base('orders/create', W1, E1, h), 'body changed after signing');
await add('wrong_secret', order, base('orders/create', W1, E1, getHmac(order, 'another-client-secret')), 'signed with another secret');
await add('wrong_signature_same_format', order, base('orders/create', W1, E1, getHmac(order + ' ', SECRET)), 'a valid-looking base64 HMAC of another body');
await add('hex_instead_of_base64', order, base('orders/create', W1, E1, Buffer.from(h, 'base64').toString('hex')), 'correct digest, hex-encoded');
await add('missing_hmac_header', order, base('orders/create', W1, E1, undefined), 'no X-Shopify-Hmac-Sha256');
await add('missing_webhook_id_header', order, drop(base('orders/create', W1, E1, h), 'X-Shopify-Webhook-Id'),
  'signature fine but validate() also requires X-Shopify-Webhook-Id', true);
await add('missing_topic_header', order, drop(base('orders/create', W1, E1, h), 'X-Shopify-Topic'),
  'signature fine but validate() also requires X-Shopify-Topic', true);
await add('empty_body', '', base('orders/create', W1, E1, getHmac('', SECRET)), 'HMAC of the empty body: validate() refuses empty bodies', true);

write('shopify', sdkLabel('@shopify/shopify-api'),
  ['test-helpers getHmac(body, apiSecretKey)', 'shopifyApi({...}).webhooks.validate({ rawBody, rawRequest, rawResponse })'],
  { secret: SECRET }, cases,
  { id_and_type: 'headers X-Shopify-Webhook-Id (per delivery), X-Shopify-Event-Id (per event, shared by all subscriptions), X-Shopify-Topic (type)' });
