// Twilio: the crate-signed cases (tests/signed_for_sdks.rs) through the Node SDK: validateRequest for form
// bodies (repeated names become arrays, as body parsers make them), validateRequestWithBody for JSON.
import { sdk, sdkLabel, checkSigned, header } from './_common.mjs';

const twilio = (await sdk('twilio')).default;
function formParams(body) {
  const params = {};
  for (const [k, v] of new URLSearchParams(body)) params[k] = k in params ? [].concat(params[k], v) : v;
  return params;
}
await checkSigned('twilio', sdkLabel('twilio'), (c, doc) => {
  const sig = header(c, 'X-Twilio-Signature');
  return { ok: header(c, 'Content-Type').startsWith('application/json')
    ? twilio.validateRequestWithBody(doc.secret, sig, c.url, c.body)
    : twilio.validateRequest(doc.secret, sig, c.url, formParams(c.body)) };
}, {});
