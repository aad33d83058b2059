"""Slack: the crate-signed cases (tests/signed_for_sdks.rs) through slack_sdk SignatureVerifier.is_valid_request,
its clock pinned to the case's "now"."""
from slack_sdk.signature import Clock, SignatureVerifier

from _common import check_signed, sdk_label


class FixedClock(Clock):
    def __init__(self, now):
        self._now = now

    def now(self):
        return float(self._now)


def verify(c, doc):
    headers = {n.lower(): v for n, v in c["headers"]}
    return SignatureVerifier(doc["secret"], FixedClock(c["now"])).is_valid_request(c["body"], headers), None


check_signed("slack", sdk_label("slack_sdk"), verify)
