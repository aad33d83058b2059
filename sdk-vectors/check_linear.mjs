// Linear: the crate-signed cases (tests/signed_for_sdks.rs) through @linear/sdk LinearWebhookClient.verify(),
// Date frozen at the case's "now".
import { sdk, sdkLabel, checkSigned, header, freezeClock } from './_common.mjs';

const { LinearWebhookClient } = await sdk('@linear/sdk/webhooks');
await checkSigned('linear', sdkLabel('@linear/sdk'), (c, doc) => {
  freezeClock(c.now);
  return { ok: new LinearWebhookClient(doc.secret).verify(Buffer.from(c.body), header(c, 'Linear-Signature')) };
});
