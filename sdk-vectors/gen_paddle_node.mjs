// Paddle cross-check: re-verify every case of paddle.json with @paddle/paddle-node-sdk's
// paddle.webhooks.isSignatureValid, with Date frozen at the case's "now".
import { sdk, sdkLabel, crossCheck, header, readVectors, freezeClock } from './_common.mjs';

const { Paddle } = await sdk('@paddle/paddle-node-sdk');
const paddle = new Paddle('test_not_a_real_api_key');
const { secret } = readVectors('paddle');

await crossCheck('paddle', sdkLabel('@paddle/paddle-node-sdk'), ['new Paddle(apiKey).webhooks.isSignatureValid(requestBody, secretKey, signature)'], async (c) => {
  freezeClock(c.now);
  try {
    return { ok: await paddle.webhooks.isSignatureValid(c.body, secret, header(c, 'Paddle-Signature') ?? '') };
  } catch (e) { return { ok: false, detail: `${e.name}: ${e.message}` }; }
});
