"""Paddle Billing: Paddle-Signature "ts=<unix>;h1=<hex HMAC-SHA256(secret, "<ts>:<raw body>")>".

Signs with the SDK's paddle_billing.Notifications.PaddleSignature.calculate_hmac and records the verdict of
paddle_billing.Notifications.Verifier().verify(request, Secret(...)) (default maximum_variance 5 s),
with the verifier module's time() pinned to NOW.
"""
import json
import sys
from types import SimpleNamespace
from unittest import mock

from paddle_billing.Notifications import PaddleSignature, Secret, Verifier

from _common import NOW, case, sdk_label, write

SECRET = "pdl_ntfset_01test0000000000000000000000_dGVzdC1wYWRkbGUtc2VjcmV0"
URL = "https://hooks.example.test/paddle"
VERIFIER_MODULE = sys.modules["paddle_billing.Notifications.Verifier"]


def event(event_id, typ, data):
    return json.dumps({"event_id": event_id, "event_type": typ, "occurred_at": "2025-12-31T23:59:58.000000Z",
                       "notification_id": event_id.replace("evt_", "ntf_"), "data": data}, ensure_ascii=False)


TXN = event("evt_01test00000000000000000001", "transaction.completed", {"id": "txn_01test0000000000000000001", "status": "completed"})
SUB = event("evt_01test00000000000000000002", "subscription.created", {"id": "sub_01test0000000000000000001", "custom_data": {"name": "Jürgen"}})


def h1(body, ts, secret=SECRET):
    return PaddleSignature.calculate_hmac(secret, f"{ts}:{body}".encode()).hexdigest()


class Headers(dict):  # case-insensitive, like a web framework's header map
    def get(self, key, default=None):
        return next((v for k, v in self.items() if k.lower() == key.lower()), default)


cases = []


def add(name, body, header, note, now=NOW, sdk_specific=False):
    headers = [("Content-Type", "application/json")] + ([("Paddle-Signature", header)] if header is not None else [])
    request = SimpleNamespace(headers=Headers(headers), body=body.encode())
    try:
        with mock.patch.object(VERIFIER_MODULE, "time", return_value=float(now)):
            ok, detail = Verifier().verify(request, Secret(SECRET)), None
    except Exception as e:
        ok, detail = False, f"verify raised {type(e).__name__}: {e}"
    cases.append(case(name, url=URL, headers=headers, body=body, now=now, accepts=ok, note=note, detail=detail, sdk_specific=sdk_specific))


T = NOW - 1
good = h1(TXN, T)
bad = h1(TXN, T, "pdl_ntfset_01old000000000000000000000000_b2xkLXNlY3JldA")
add("valid_transaction_completed", TXN, f"ts={T};h1={good}", "signed 1 s before now")
add("valid_subscription_created", SUB, f"ts={NOW};h1={h1(SUB, NOW)}", "non-ASCII body, signed at now")
add("valid_two_h1_first_matches", TXN, f"ts={T};h1={good};h1={bad}", "two h1 (secret rotation), the FIRST matches; the Node SDK keeps only the last h1 and rejects", sdk_specific=True)
add("valid_two_h1_second_matches", TXN, f"ts={T};h1={bad};h1={good}", "two h1, the SECOND matches")
add("valid_past_edge_5s", TXN, f"ts={NOW - 5};h1={h1(TXN, NOW - 5)}", "5 s old: accepted (maximum_variance = 5)")
add("valid_future_edge_5s", TXN, f"ts={NOW + 5};h1={h1(TXN, NOW + 5)}", "5 s in the future: accepted")
add("stale_6s", TXN, f"ts={NOW - 6};h1={h1(TXN, NOW - 6)}", "6 s old: rejected")
add("future_6s", TXN, f"ts={NOW + 6};h1={h1(TXN, NOW + 6)}", "6 s in the FUTURE: the Python SDK rejects (two-sided); the Node SDK accepts", sdk_specific=True)
add("tampered_body", TXN.replace("completed\"", "canceled\"", 1), f"ts={T};h1={good}", "body changed after signing")
add("wrong_secret", TXN, f"ts={T};h1={bad}", "signed with another secret")
add("wrong_signature_same_format", TXN, f"ts={T};h1={h1(TXN, T - 1)}", "an h1 made for another ts")
add("ts_changed", TXN, f"ts={T - 1};h1={good}", "ts changed, h1 kept")
add("unknown_key_in_header", TXN, f"ts={T};h1={good};h2={'0' * 64}", "an extra h2 entry: the Python SDK raises on unknown keys; the Node SDK ignores them", sdk_specific=True)
add("missing_header", TXN, None, "no Paddle-Signature")

write("paddle", sdk_label("paddle-python-sdk"),
      ["paddle_billing.Notifications.PaddleSignature.calculate_hmac(secret_key, data)",
       "paddle_billing.Notifications.Verifier(maximum_variance=5).verify(request, Secret(secret))"],
      {"secret": SECRET}, cases,
      {"id_and_type": "body fields event_id (evt_...) and event_type; notification_id identifies the delivery to one destination"})
