"""Slack: X-Slack-Signature "v0=" + hex HMAC-SHA256(signing secret, "v0:<X-Slack-Request-Timestamp>:<raw body>").

Signs with slack_sdk.signature.SignatureVerifier.generate_signature and records the verdict of
SignatureVerifier.is_valid_request, whose clock is pinned to NOW.
"""
import json
from urllib.parse import urlencode

from slack_sdk.signature import Clock, SignatureVerifier

from _common import NOW, case, sdk_label, write

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # Slack's documented example format; test value only
URL = "https://hooks.example.test/slack"


class FixedClock(Clock):
    def __init__(self, now):
        self._now = now

    def now(self):
        return float(self._now)


EVENT = json.dumps({"token": "unused-legacy-token", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
                    "event_id": "Ev0001TEST", "event_time": NOW - 1,
                    "event": {"type": "app_mention", "user": "U0001", "text": "<@U0APP> héllo", "channel": "C0001", "ts": "1767225599.000100"}}, ensure_ascii=False)
URL_VERIFY = json.dumps({"token": "unused-legacy-token", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"})
SLASH = urlencode({"token": "unused-legacy-token", "team_id": "T0001", "team_domain": "example", "channel_id": "C0001",
                   "user_id": "U0001", "command": "/weather", "text": "94070 & more", "api_app_id": "A0001",
                   "response_url": "https://hooks.slack.com/commands/T0001/1/abc", "trigger_id": "13345224609.738474920.8088930838d88f008e0"})
INTERACT = urlencode({"payload": json.dumps({"type": "block_actions", "team": {"id": "T0001"}, "user": {"id": "U0001"},
                                             "trigger_id": "12466734323.1395872398", "actions": [{"action_id": "approve", "value": "yes"}]})})


def sign(body, ts, secret=SECRET):
    return SignatureVerifier(secret).generate_signature(timestamp=str(ts), body=body)


cases = []


def add(name, body, ts, sig, note, ctype="application/json", now=NOW, sdk_specific=False):
    headers = [("Content-Type", ctype), ("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")]
    if ts is not None:
        headers.append(("X-Slack-Request-Timestamp", str(ts)))
    if sig is not None:
        headers.append(("X-Slack-Signature", sig))
    try:
        ok, detail = SignatureVerifier(SECRET, FixedClock(now)).is_valid_request(body, dict(headers)), None
    except Exception as e:  # e.g. a non-numeric timestamp
        ok, detail = False, f"is_valid_request raised {type(e).__name__}: {e}"
    cases.append(case(name, url=URL, headers=headers, body=body, now=now, accepts=ok, note=note, detail=detail, sdk_specific=sdk_specific))


FORM = "application/x-www-form-urlencoded"
T = NOW - 2
add("valid_events_api_json", EVENT, T, sign(EVENT, T), "Events API event_callback; id = body event_id, type = body event.type")
add("valid_url_verification", URL_VERIFY, T, sign(URL_VERIFY, T), "url_verification handshake is signed like any event")
add("valid_slash_command_form", SLASH, T, sign(SLASH, T), "slash command: form body signed as the exact encoded bytes", FORM)
add("valid_interactivity_payload_form", INTERACT, T, sign(INTERACT, T), "interactivity: payload=<url-encoded JSON> form body", FORM)
add("valid_past_edge_300s", EVENT, NOW - 300, sign(EVENT, NOW - 300), "exactly 5 min old: accepted (rejects when |now - ts| > 300)")
add("valid_future_299s", EVENT, NOW + 299, sign(EVENT, NOW + 299), "299 s in the future: inside the two-sided window")
add("stale_301s", EVENT, NOW - 301, sign(EVENT, NOW - 301), "301 s old: rejected")
add("future_301s", EVENT, NOW + 301, sign(EVENT, NOW + 301), "301 s in the FUTURE: slack_sdk rejects (two-sided window); @slack/bolt accepts", sdk_specific=True)
add("future_1h", EVENT, NOW + 3600, sign(EVENT, NOW + 3600), "one hour in the future: slack_sdk rejects; @slack/bolt accepts", sdk_specific=True)
TAMPERED = EVENT.replace("héllo", "hello")
assert TAMPERED != EVENT
add("tampered_body", TAMPERED, T, sign(EVENT, T), "body changed after signing")
add("form_reencoded", SLASH.replace("+", "%20"), T, sign(SLASH, T),
    "same form fields, spaces re-encoded as %20 instead of +: the signature is over raw bytes", FORM)
add("wrong_secret", EVENT, T, sign(EVENT, T, "another-signing-secret-000000000"), "signed with a different secret")
good = sign(EVENT, T)
add("wrong_signature_same_format", EVENT, T, good[:-1] + ("1" if good[-1] == "0" else "0"), "last hex digit changed")
add("timestamp_changed", EVENT, T + 1, good, "timestamp header changed, signature kept")
add("uppercase_hex", EVENT, T, "v0=" + good[3:].upper(), "correct digest in upper-case hex")
add("v1_prefix", EVENT, T, "v1=" + good[3:], "correct digest with an unknown version prefix")
add("missing_signature_header", EVENT, T, None, "no X-Slack-Signature")
add("missing_timestamp_header", EVENT, None, good, "no X-Slack-Request-Timestamp")
add("non_numeric_timestamp", EVENT, "abc", good, "timestamp header is not a number")

write("slack", sdk_label("slack_sdk"),
      ["slack_sdk.signature.SignatureVerifier(secret).generate_signature(timestamp, body)",
       "slack_sdk.signature.SignatureVerifier(secret, clock).is_valid_request(body, headers)"],
      {"secret": SECRET}, cases,
      {"id_and_type": "Events API: body event_id and event.type (outer type is event_callback); slash commands: form field command; "
                      "interactivity: payload JSON field type (and trigger_id); retries add X-Slack-Retry-Num / X-Slack-Retry-Reason headers"})
