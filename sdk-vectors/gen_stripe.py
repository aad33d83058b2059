"""Stripe: Stripe-Signature "t=<ts>,v1=<hex HMAC-SHA256(whsec_..., "<ts>.<body>")>".

Signs with stripe.WebhookSignature.generate_signature_header and records the verdict of
stripe.Webhook.construct_event (default tolerance 300 s) run with time.time() frozen at NOW.
"""
import json
from unittest import mock

import stripe
from stripe import Webhook, WebhookSignature

from _common import NOW, case, sdk_label, write

SECRET = "whsec_test_c3RyaXBlLXRlc3Qtc2VjcmV0LW5vdC1yZWFs"
URL = "https://hooks.example.test/stripe"


def event(evt_id, typ, obj):
    return json.dumps({"id": evt_id, "object": "event", "api_version": "2024-06-20", "created": NOW - 5,
                       "type": typ, "livemode": False, "data": {"object": obj}}, indent=2, ensure_ascii=False)


PI = event("evt_test_0001", "payment_intent.succeeded", {"id": "pi_test_1", "object": "payment_intent", "amount": 2000})
CUS = event("evt_test_0002", "customer.created", {"id": "cus_test_1", "object": "customer", "name": "Zoë Ørsted"})


def sign(body, ts, secret=SECRET):
    return WebhookSignature.generate_signature_header(body, secret, timestamp=ts)


def v1(header):
    return header.split("v1=", 1)[1]


def verify(body, header, now=NOW):
    with mock.patch("time.time", return_value=float(now)):
        try:
            ev = Webhook.construct_event(body, header, SECRET)
            return True, f"event id={ev.id} type={ev.type}"
        except stripe.SignatureVerificationError as e:
            return False, f"SignatureVerificationError: {e.user_message or e}"


cases = []


def add(name, body, header, note, now=NOW, sdk_specific=False):
    ok, detail = verify(body, header, now)
    headers = [("Content-Type", "application/json; charset=utf-8"), ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")]
    if header is not None:
        headers.append(("Stripe-Signature", header))
    cases.append(case(name, url=URL, headers=headers, body=body, now=now, accepts=ok, note=note, detail=detail, sdk_specific=sdk_specific))


good = sign(PI, NOW - 10)
add("valid_payment_intent", PI, good, "generate_signature_header, signed 10 s before now")
add("valid_customer_non_ascii", CUS, sign(CUS, NOW), "UTF-8 body, signed at now")
other = v1(sign(PI, NOW - 10, "whsec_test_rotated_old_secret"))
add("valid_two_v1_second_matches", PI, f"t={NOW - 10},v1={other},v1={v1(good)}",
    "two v1 entries (secret rotation); any matching v1 is enough")
add("valid_v0_ignored", PI, f"{good},v0={'0' * 64}", "a v0 entry is ignored; only v1 counts")
add("valid_at_tolerance_edge", PI, sign(PI, NOW - 300), "exactly 300 s old: accepted (rejects only when age > 300)")
add("valid_far_future_timestamp", PI, sign(PI, NOW + 3600),
    "timestamp one hour in the FUTURE is accepted: the SDK only rejects old timestamps (one-sided window)", sdk_specific=True)
add("expired_301s", PI, sign(PI, NOW - 301), "301 s old: rejected by the 300 s tolerance")
add("tampered_body", PI.replace("2000", "2001"), good, "amount changed after signing")
add("wrong_secret", PI, sign(PI, NOW - 10, "whsec_test_some_other_secret"), "signed with a different whsec_ secret")
add("secret_without_whsec_prefix", PI, sign(PI, NOW - 10, SECRET[len("whsec_"):]),
    "signed with the secret minus its whsec_ prefix: rejected, the key is the whole whsec_ string")
add("wrong_signature_same_format", PI, good[:-1] + ("1" if good[-1] == "0" else "0"), "last hex digit changed")
add("timestamp_swapped", PI, good.replace(f"t={NOW - 10}", f"t={NOW - 9}"), "t changed, v1 kept: t is inside the signed payload")
add("only_v0_scheme", PI, f"t={NOW - 10},v0={v1(good)}", "correct digest but under v0: no v1 signature -> rejected")
add("uppercase_hex", PI, f"t={NOW - 10},v1={v1(good).upper()}", "correct digest in upper-case hex")
add("missing_header", PI, None, "no Stripe-Signature header")

write("stripe", sdk_label("stripe"),
      ["stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)",
       "stripe.Webhook.construct_event(payload, sig_header, secret)  # tolerance=300"],
      {"secret": SECRET}, cases,
      {"id_and_type": "body fields \"id\" (evt_...) and \"type\"; no id/type headers"})
