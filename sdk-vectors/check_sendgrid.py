"""SendGrid: the crate-signed cases (tests/signed_for_sdks.rs) through sendgrid's
EventWebhook(public_key).verify_signature."""
from sendgrid.helpers.eventwebhook import EventWebhook, EventWebhookHeader

from _common import check_signed, header, sdk_label


def verify(c, doc):
    return EventWebhook(public_key=doc["public_key"]).verify_signature(
        c["body"], header(c, EventWebhookHeader.SIGNATURE), header(c, EventWebhookHeader.TIMESTAMP)), None


check_signed("sendgrid", sdk_label("sendgrid"), verify)
