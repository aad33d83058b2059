// Square cross-check: re-verify every case of square.json with the Node SDK's WebhooksHelper.verifySignature.
import { sdk, sdkLabel, crossCheck, header, readVectors } from './_common.mjs';

const { WebhooksHelper } = await sdk('square');
const { secret } = readVectors('square');

await crossCheck('square', sdkLabel('square'), ['WebhooksHelper.verifySignature({ requestBody, signatureHeader, signatureKey, notificationUrl })'], async (c) => {
  try {
    return { ok: await WebhooksHelper.verifySignature({ requestBody: c.body, signatureHeader: header(c, 'x-square-hmacsha256-signature'),
      signatureKey: secret, notificationUrl: c.notification_url }) };
  } catch (e) { return { ok: false, detail: `${e.name}: ${e.message}` }; }
});
