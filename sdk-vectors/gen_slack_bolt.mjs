// Slack cross-check: re-verify every case of slack.json (made with slack_sdk) with
// @slack/bolt's verifySlackRequest, the way Bolt's HTTP receiver calls it (timestamp header
// converted with Number()), with nowMilliseconds pinned to the case's "now".
import { sdk, sdkLabel, crossCheck, header, readVectors } from './_common.mjs';

const { verifySlackRequest } = await sdk('@slack/bolt');
const { secret } = readVectors('slack');

await crossCheck('slack', sdkLabel('@slack/bolt'), ['verifySlackRequest({ signingSecret, body, headers, nowMilliseconds })'], (c) => {
  try {
    verifySlackRequest({
      signingSecret: secret, body: c.body, nowMilliseconds: c.now * 1000,
      headers: { 'x-slack-signature': header(c, 'X-Slack-Signature'),
                 'x-slack-request-timestamp': Number(header(c, 'X-Slack-Request-Timestamp')) },
    });
    return { ok: true };
  } catch (e) { return { ok: false, detail: `${e.name}: ${e.message}` }; }
});
