// Paddle: the crate-signed cases (tests/signed_for_sdks.rs) through @paddle/paddle-node-sdk
// webhooks.isSignatureValid, Date frozen at the case's "now".
import { sdk, sdkLabel, checkSigned, header, freezeClock } from './_common.mjs';

const { Paddle } = await sdk('@paddle/paddle-node-sdk');
const paddle = new Paddle('test_not_a_real_api_key');
await checkSigned('paddle', sdkLabel('@paddle/paddle-node-sdk'), async (c, doc) => {
  freezeClock(c.now);
  return { ok: await paddle.webhooks.isSignatureValid(c.body, doc.secret, header(c, 'Paddle-Signature') ?? '') };
}, {
  two_h1_first_matches: [false, 'the Node SDK keeps only the last h1 of the header (sdk-vectors/README.md, Paddle)'],
});
