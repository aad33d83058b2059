"""Stripe: the crate-signed cases (tests/signed_for_sdks.rs) through stripe.WebhookSignature.verify_header
(what Webhook.construct_event calls before parsing), tolerance 300 s, time.time() frozen at the case's "now"."""
from unittest import mock

from stripe import WebhookSignature

from _common import check_signed, header, sdk_label


def verify(c, doc):
    with mock.patch("time.time", return_value=float(c["now"])):
        return WebhookSignature.verify_header(c["body"], header(c, "Stripe-Signature"), doc["secret"], tolerance=300), None


check_signed("stripe", sdk_label("stripe"), verify)
