"""Intercom: no official SDK verifies notifications (neither intercom-client on npm nor python-intercom on
PyPI has the code; sdk-vectors/README.md), so the crate-signed cases (tests/signed_for_sdks.rs) are checked
with the documented algorithm, X-Hub-Signature: sha1=<hex HMAC-SHA1(client secret, body)>, computed by
Python's hmac module. This is an independent implementation, not a sender's SDK."""
import hashlib
import hmac

from _common import check_signed, header


def verify(c, doc):
    mac = hmac.new(doc["secret"].encode(), c["body"].encode(), hashlib.sha1).hexdigest()
    return hmac.compare_digest("sha1=" + mac, header(c, "X-Hub-Signature") or ""), None


check_signed("intercom", "Python hmac (documented algorithm; Intercom has no SDK verifier)", verify)
