// Zoom: the crate-signed cases (tests/signed_for_sdks.rs) through @zoom/rivet's AwsLambdaReceiver
// (status 200 = verified); header names lower-cased, as API Gateway hands them over.
import { sdk, sdkLabel, checkSigned } from './_common.mjs';

const { AwsLambdaReceiver } = await sdk('@zoom/rivet/meetings');
console.debug = () => {}; // the receiver logs every event at debug level
await checkSigned('zoom', sdkLabel('@zoom/rivet'), async (c, doc) => {
  const handler = new AwsLambdaReceiver({ webhooksSecretToken: doc.secret }).start();
  const headers = Object.fromEntries(c.headers.map(([n, v]) => [n.toLowerCase(), v]));
  const res = await handler({ body: c.body, headers, isBase64Encoded: false }, {});
  return { ok: res.statusCode === 200, detail: `status ${res.statusCode} ${res.body}` };
}, {
  pretty_signed_raw: [false, 'Rivet hashes JSON.stringify(JSON.parse(body)), not the raw bytes (sdk-vectors/README.md, Zoom)'],
  empty_body: [false, 'Rivet parses the body as JSON before the HMAC; an empty body is not JSON'],
});
