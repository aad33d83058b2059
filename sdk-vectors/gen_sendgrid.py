"""SendGrid Event Webhook: X-Twilio-Email-Event-Webhook-Signature = base64 DER ECDSA-P256/SHA-256 signature over
X-Twilio-Email-Event-Webhook-Timestamp + raw body; the verification key is the base64 DER SubjectPublicKeyInfo.

The sendgrid SDK only verifies. The P-256 key is derived from a fixed test scalar and messages are signed with the
`cryptography` package using deterministic (RFC 6979) ECDSA so the output is stable; every verdict comes from
sendgrid.helpers.eventwebhook.EventWebhook.verify_signature.
"""
import base64
import hashlib
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from sendgrid.helpers.eventwebhook import EventWebhook, EventWebhookHeader

from _common import NOW, case, sdk_label, write

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def key_from_seed(seed):
    return ec.derive_private_key(int.from_bytes(hashlib.sha256(seed).digest(), "big") % P256_N, ec.SECP256R1())


SEED = b"webhook-receiver sendgrid test key"
KEY, OTHER = key_from_seed(SEED), key_from_seed(b"another sendgrid test key")
PUBLIC_B64 = base64.b64encode(KEY.public_key().public_bytes(serialization.Encoding.DER,
                                                             serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
URL = "https://hooks.example.test/sendgrid/events"


def ec_sign(ts, body, key=KEY):
    der = key.sign((ts + body).encode(), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    return base64.b64encode(der).decode()


def ev(n, event, extra=None):
    return {"email": f"user{n}@example.com", "timestamp": NOW - 60 + n, "event": event, "sg_event_id": f"sg_event_test_{n:04d}",
            "sg_message_id": f"msg_test_{n:04d}.filter0001.12345.abcdef.0", **(extra or {})}


ONE = json.dumps([ev(1, "delivered", {"response": "250 OK"})])
MANY = json.dumps([ev(2, "processed"), ev(3, "open", {"useragent": "Mozilla/5.0", "category": ["naïve"]}), ev(4, "bounce", {"reason": "550"})],
                  ensure_ascii=False) + "\r\n"

cases = []


def add(name, body, ts, sig, note, sdk_specific=False):
    headers = [("Content-Type", "application/json"), ("User-Agent", "SendGrid Event API")]
    if sig is not None:
        headers.append((EventWebhookHeader.SIGNATURE, sig))
    if ts is not None:
        headers.append((EventWebhookHeader.TIMESTAMP, ts))
    try:
        ok, detail = EventWebhook(public_key=PUBLIC_B64).verify_signature(body, sig, ts), None
    except Exception as e:
        ok, detail = False, f"verify_signature raised {type(e).__name__}: {e}"
    cases.append(case(name, url=URL, headers=headers, body=body, accepts=ok, note=note, detail=detail, sdk_specific=sdk_specific))


T = str(NOW - 1)
good = ec_sign(T, ONE)
r, s = decode_dss_signature(base64.b64decode(good))
add("valid_single_event", ONE, T, good, "one-event JSON array")
add("valid_batch_with_crlf", MANY, T, ec_sign(T, MANY), "three events, non-ASCII, trailing CRLF is part of the signed body")
add("valid_old_timestamp", ONE, str(NOW - 86400), ec_sign(str(NOW - 86400), ONE), "verify_signature enforces no timestamp window", True)
add("valid_high_s_signature", ONE, T, base64.b64encode(encode_dss_signature(r, P256_N - s)).decode(),
    "same signature with s replaced by n - s (high-S form): OpenSSL-backed verification accepts it", True)
add("tampered_body", ONE.replace("delivered", "dropped"), T, good, "body changed after signing")
add("timestamp_changed", ONE, str(NOW - 2), good, "timestamp header changed, signature kept")
add("wrong_key", ONE, T, ec_sign(T, ONE, OTHER), "signed by another P-256 key")
add("wrong_signature_same_format", ONE, T, ec_sign(T, MANY), "valid DER signature of another message")
add("raw_r_s_not_der", ONE, T, base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode(),
    "correct signature as raw r||s (64 bytes) instead of DER")
add("signed_body_only", ONE, T, ec_sign("", ONE), "signature over the body without the timestamp prefix")
add("missing_signature_header", ONE, T, None, "no signature header")
add("missing_timestamp_header", ONE, None, good, "no timestamp header")

write("sendgrid", sdk_label("sendgrid"),
      ["sendgrid.helpers.eventwebhook.EventWebhook(public_key).verify_signature(payload, signature, timestamp)"],
      {"public_key": PUBLIC_B64, "private_key_seed": SEED.decode(), "private_key_derivation": "int(sha256(seed)) mod n, P-256"}, cases,
      {"signing": "no SDK signer: deterministic ECDSA signatures made in gen_sendgrid.py with cryptography; verdicts from the SDK",
       "id_and_type": "per event in the body array: sg_event_id (event id), event (type), sg_message_id; no id/type headers"})
