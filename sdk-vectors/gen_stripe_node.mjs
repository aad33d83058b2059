// Stripe cross-check: re-verify every case of stripe.json (made with the Python SDK) with the
// Node SDK's stripe.webhooks.constructEvent, receivedAt pinned to the case's "now".
import { sdk, sdkLabel, crossCheck, header, readVectors } from './_common.mjs';

const Stripe = (await sdk('stripe')).default;
const stripe = new Stripe('sk_test_not_a_real_key');
const { secret } = readVectors('stripe');

await crossCheck('stripe', sdkLabel('stripe'), ['stripe.webhooks.constructEvent(payload, header, secret, tolerance=300, undefined, receivedAtMs)'], (c) => {
  try {
    const ev = stripe.webhooks.constructEvent(c.body, header(c, 'Stripe-Signature'), secret, 300, undefined, c.now * 1000);
    return { ok: true, detail: `event id=${ev.id} type=${ev.type}` };
  } catch (e) { return { ok: false, detail: `${e.type || e.name}: ${e.message.split('\n')[0]}` }; }
});
