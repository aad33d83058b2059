"""Paddle: the crate-signed cases (tests/signed_for_sdks.rs) through paddle-python-sdk
Verifier().verify(request, Secret(...)) (maximum variance 5 s), the verifier's time() frozen at the case's "now"."""
import sys
from types import SimpleNamespace
from unittest import mock

from paddle_billing.Notifications import Secret, Verifier

from _common import check_signed, sdk_label

VERIFIER_MODULE = sys.modules["paddle_billing.Notifications.Verifier"]


class Headers(dict):  # case-insensitive, like a web framework's header map
    def get(self, key, default=None):
        return next((v for k, v in self.items() if k.lower() == key.lower()), default)


def verify(c, doc):
    request = SimpleNamespace(headers=Headers(c["headers"]), body=c["body"].encode())
    with mock.patch.object(VERIFIER_MODULE, "time", return_value=float(c["now"])):
        return Verifier().verify(request, Secret(doc["secret"])), None


check_signed("paddle", sdk_label("paddle-python-sdk"), verify)
