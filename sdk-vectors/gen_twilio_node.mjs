// Twilio cross-check: re-verify every case of twilio.json with the Node SDK: validateRequest for form
// bodies (params decoded with URLSearchParams; repeated names become arrays, as body parsers do) and
// validateRequestWithBody for JSON bodies signed through bodySHA256.
import { sdk, sdkLabel, crossCheck, header, readVectors } from './_common.mjs';

const twilio = (await sdk('twilio')).default;
const doc = readVectors('twilio');

function formParams(body) {
  const params = {};
  for (const [k, v] of new URLSearchParams(body)) params[k] = k in params ? [].concat(params[k], v) : v;
  return params;
}

await crossCheck('twilio', sdkLabel('twilio'), ['twilio.validateRequest(authToken, signature, url, params, algorithm)',
  'twilio.validateRequestWithBody(authToken, signature, url, body, algorithm)', 'twilio.getSignatureAlgorithm(settingsHeader)'], (c) => {
  const algorithm = twilio.getSignatureAlgorithm(header(c, 'X-Twilio-Webhooks-Signature-Settings'));
  const token = algorithm === 'HMAC_SHA256' ? doc.shared_key_secret : doc.secret;
  const sig = header(c, 'X-Twilio-Signature');
  try {
    return { ok: header(c, 'Content-Type').startsWith('application/json')
      ? twilio.validateRequestWithBody(token, sig, c.url, c.body, algorithm)
      : twilio.validateRequest(token, sig, c.url, formParams(c.body), algorithm) };
  } catch (e) { return { ok: false, detail: `${e.name}: ${e.message}` }; }
});
