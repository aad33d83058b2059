// Slack: the crate-signed cases (tests/signed_for_sdks.rs) through @slack/bolt verifySlackRequest, called as
// Bolt's HTTP receiver calls it (timestamp header through Number()), nowMilliseconds = the case's "now".
import { sdk, sdkLabel, checkSigned, header } from './_common.mjs';

const { verifySlackRequest } = await sdk('@slack/bolt');
await checkSigned('slack', sdkLabel('@slack/bolt'), (c, doc) => {
  verifySlackRequest({ signingSecret: doc.secret, body: c.body, nowMilliseconds: c.now * 1000,
    headers: { 'x-slack-signature': header(c, 'X-Slack-Signature'),
               'x-slack-request-timestamp': Number(header(c, 'X-Slack-Request-Timestamp')) } });
  return { ok: true };
});
