// GitHub: the crate-signed cases (tests/signed_for_sdks.rs) through @octokit/webhooks-methods verify().
import { sdk, sdkLabel, checkSigned, header } from './_common.mjs';

const { verify } = await sdk('@octokit/webhooks-methods');
await checkSigned('github', sdkLabel('@octokit/webhooks-methods'), async (c, doc) =>
  ({ ok: await verify(doc.secret, c.body, header(c, 'X-Hub-Signature-256')) }), {
  empty_body: [false, 'verify() throws TypeError on an empty payload (it tests !eventPayload) before any HMAC'],
});
