"""Twilio: the crate-signed cases (tests/signed_for_sdks.rs) through twilio's RequestValidator.validate. Form
bodies are decoded with urllib.parse.parse_qs (repeated names keep every value, as a web framework's
QueryDict does); a JSON body is passed as text with bodySHA256 in the URL."""
from urllib.parse import parse_qs

from twilio.request_validator import RequestValidator

from _common import check_signed, header, sdk_label


class QueryDict(dict):
    def getlist(self, name):
        return self[name]


def verify(c, doc):
    json_body = header(c, "Content-Type").startswith("application/json")
    params = c["body"] if json_body else QueryDict(parse_qs(c["body"], keep_blank_values=True))
    return RequestValidator(doc["secret"]).validate(c["url"], params, header(c, "X-Twilio-Signature")), None


check_signed("twilio", sdk_label("twilio"), verify, {})
