// Stripe: the crate-signed cases (tests/signed_for_sdks.rs) through the Node SDK's
// webhooks.signature.verifyHeader (what constructEvent calls before parsing), receivedAt = the case's "now".
import { sdk, sdkLabel, checkSigned, header } from './_common.mjs';

const Stripe = (await sdk('stripe')).default;
const stripe = new Stripe('sk_test_not_a_real_key');
await checkSigned('stripe', sdkLabel('stripe'), (c, doc) =>
  ({ ok: stripe.webhooks.signature.verifyHeader(c.body, header(c, 'Stripe-Signature'), doc.secret, 300, undefined, c.now * 1000) }), {
  empty_body: [false, 'verifyHeader() throws "No webhook payload was provided." on an empty body before any HMAC'],
});
