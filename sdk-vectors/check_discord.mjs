// Discord: the crate-signed cases (tests/signed_for_sdks.rs) through discord-interactions verifyKey().
import { sdk, sdkLabel, checkSigned, header } from './_common.mjs';

const { verifyKey } = await sdk('discord-interactions');
await checkSigned('discord', sdkLabel('discord-interactions'), async (c, doc) =>
  ({ ok: await verifyKey(c.body, header(c, 'X-Signature-Ed25519') ?? '', header(c, 'X-Signature-Timestamp') ?? '', doc.public_key) }));
