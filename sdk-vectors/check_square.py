"""Square: the crate-signed cases (tests/signed_for_sdks.rs) through squareup's
square.utils.webhooks_helper.verify_signature."""
from square.utils.webhooks_helper import verify_signature

from _common import check_signed, header, sdk_label


def verify(c, doc):
    return verify_signature(request_body=c["body"], signature_header=header(c, "x-square-hmacsha256-signature"),
                            signature_key=doc["secret"], notification_url=doc["notification_url"]), None


check_signed("square", sdk_label("squareup"), verify, {
    "empty_body": (False, "the Python SDK refuses an empty body before any HMAC (sdk-vectors/README.md, Square)"),
})
