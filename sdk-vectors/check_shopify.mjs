// Shopify: the crate-signed cases (tests/signed_for_sdks.rs) through @shopify/shopify-api webhooks.validate().
import { sdk, sdkLabel, checkSigned } from './_common.mjs';

await sdk('@shopify/shopify-api/adapters/node');
const { shopifyApi, ApiVersion, LogSeverity } = await sdk('@shopify/shopify-api');
const api = (secret) => shopifyApi({ apiKey: 'test-api-key', apiSecretKey: secret, apiVersion: ApiVersion.October25,
  hostName: 'hooks.example.test', isEmbeddedApp: false, logger: { level: LogSeverity.Error, log: () => {} } });

await checkSigned('shopify', sdkLabel('@shopify/shopify-api'), async (c, doc) => {
  const rawRequest = { method: 'POST', url: '/shopify', headers: Object.fromEntries(c.headers.map(([n, v]) => [n.toLowerCase(), v])) };
  const { valid, ...rest } = await api(doc.secret).webhooks.validate({ rawBody: c.body, rawRequest, rawResponse: {} });
  return { ok: valid, detail: JSON.stringify(rest) };
}, {
  empty_body: [false, 'validate() refuses an empty body (reason missing_body) before any HMAC'],
});
