// Square: the crate-signed cases (tests/signed_for_sdks.rs) through the Node SDK's WebhooksHelper.verifySignature.
import { sdk, sdkLabel, checkSigned, header } from './_common.mjs';

const { WebhooksHelper } = await sdk('square');
await checkSigned('square', sdkLabel('square'), async (c, doc) =>
  ({ ok: await WebhooksHelper.verifySignature({ requestBody: c.body, signatureHeader: header(c, 'x-square-hmacsha256-signature'),
    signatureKey: doc.secret, notificationUrl: doc.notification_url }) }));
