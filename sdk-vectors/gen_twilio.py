"""Twilio: X-Twilio-Signature = base64 HMAC-SHA1(auth token, full URL + each POST param name+value, sorted by name).
JSON bodies: the URL carries ?bodySHA256=<hex sha256(body)> and only the URL is signed.

Signs with twilio.request_validator.RequestValidator.compute_signature / compute_hash and records the verdict
of RequestValidator.validate. Form bodies are decoded with urllib.parse.parse_qs (as a web framework would)
and passed as a Django-style QueryDict (getlist), so repeated names keep all their values.
"""
import json
from urllib.parse import parse_qs, urlencode

from twilio.request_validator import RequestValidator, get_signature_algorithm

from _common import case, sdk_label, write

TOKEN = "12345678901234567890123456789012"  # test auth token
SHARED_KEY = "test-shared-key-secret-0123456789"  # for the HMAC_SHA256 SharedKey variant
V = RequestValidator(TOKEN)
FORM = "application/x-www-form-urlencoded"


class QueryDict(dict):
    def getlist(self, name):
        return self[name]


def form_params(body):
    return QueryDict(parse_qs(body, keep_blank_values=True))


SMS = [("ToCountry", "US"), ("SmsMessageSid", "SM00000000000000000000000000000001"), ("NumMedia", "0"), ("ToCity", ""),
       ("Body", "Héllo & bye+ok"), ("From", "+14158675310"), ("To", "+18005550100"), ("MessageSid", "SM00000000000000000000000000000001"),
       ("AccountSid", "AC00000000000000000000000000000000"), ("ApiVersion", "2010-04-01")]
SMS_BODY = urlencode(SMS)
SMS_BODY_REORDERED = urlencode(sorted(SMS, reverse=True))
CALL_BODY = urlencode([("CallSid", "CA00000000000000000000000000000002"), ("CallStatus", "completed"), ("Digits", "1234"),
                       ("AccountSid", "AC00000000000000000000000000000000"), ("From", "+14158675310"), ("To", "+18005550100")])
JSON_BODY = json.dumps({"sid": "SM00000000000000000000000000000003", "status": "delivered", "note": "naïve"}, ensure_ascii=False)
BASE = "https://hooks.example.test/twilio/sms"
Q = "?tenant=acme&lang=en"

cases = []


def add(name, url, body, sig, note, ctype=FORM, extra_headers=(), token=TOKEN, sdk_specific=False):
    headers = [("Content-Type", ctype), ("I-Twilio-Idempotency-Token", "00000000-0000-0000-0000-0000000000aa"), *extra_headers]
    if sig is not None:
        headers.append(("X-Twilio-Signature", sig))
    algorithm = get_signature_algorithm(dict(headers).get("X-Twilio-Webhooks-Signature-Settings"))
    params = body if ctype.startswith("application/json") else form_params(body)
    try:
        ok, detail = RequestValidator(token).validate(url, params, sig, algorithm), None
    except Exception as e:
        ok, detail = False, f"validate raised {type(e).__name__}: {e}"
    cases.append(case(name, url=url, headers=headers, body=body, accepts=ok, note=note, detail=detail, sdk_specific=sdk_specific))


sig = V.compute_signature(BASE, form_params(SMS_BODY))
add("valid_sms_form", BASE, SMS_BODY, sig, "signed over the URL without a port; blank ToCity is part of the signature")
add("valid_params_in_other_order", BASE, SMS_BODY_REORDERED, sig, "same params, different order in the body: params are sorted before signing")
add("valid_request_url_has_443_signed_without", "https://hooks.example.test:443/twilio/sms", SMS_BODY, sig,
    "request URL has :443, signature was computed without it: validate() tries both")
sig443 = V.compute_signature("https://hooks.example.test:443/twilio/sms", form_params(SMS_BODY))
add("valid_signed_with_443_request_without", BASE, SMS_BODY, sig443,
    "signature computed over the URL with :443, request URL without: validate() adds :443 and accepts")
HTTP = "http://hooks.example.test/twilio/call"
add("valid_http_signed_with_80", HTTP, CALL_BODY, V.compute_signature("http://hooks.example.test:80/twilio/call", form_params(CALL_BODY)),
    "http URL, signed with :80: validate() adds the default port 80 for http")
add("valid_nondefault_port_signed_without_port", "https://hooks.example.test:8443/twilio/sms", SMS_BODY, sig,
    "SURPRISING: request on :8443 but the signature is over the URL with NO port: validate() strips any port, not only default ones", sdk_specific=True)
add("valid_nondefault_port_signed_with_port", "https://hooks.example.test:8443/twilio/sms", SMS_BODY,
    V.compute_signature("https://hooks.example.test:8443/twilio/sms", form_params(SMS_BODY)), "non-default port kept in the signed URL")
add("valid_query_string", BASE + Q, SMS_BODY, V.compute_signature(BASE + Q, form_params(SMS_BODY)), "query string is part of the signed URL, as-is")
add("query_string_reordered", BASE + "?lang=en&tenant=acme", SMS_BODY, V.compute_signature(BASE + Q, form_params(SMS_BODY)),
    "same query params in another order: the URL is signed byte for byte")
add("valid_voice_status_callback", HTTP, CALL_BODY, V.compute_signature(HTTP, form_params(CALL_BODY)), "voice callback; id = CallSid")
JURL = f"{BASE}?bodySHA256={V.compute_hash(JSON_BODY)}"
add("valid_json_body_sha256", JURL, JSON_BODY, V.compute_signature(JURL, {}),
    "JSON body: URL carries bodySHA256=<hex sha256 of the body>; signature over the URL only", "application/json")
add("json_body_tampered", JURL, JSON_BODY.replace("delivered", "failed"), V.compute_signature(JURL, {}),
    "body no longer matches bodySHA256", "application/json")
add("valid_shared_key_hmac_sha256", BASE, SMS_BODY, RequestValidator(SHARED_KEY).compute_signature(BASE, form_params(SMS_BODY), "HMAC_SHA256"),
    "SharedKey signing: X-Twilio-Webhooks-Signature-Settings names HMAC_SHA256; key = shared_key_secret",
    extra_headers=[("X-Twilio-Webhooks-Signature-Settings", "key=webhooks_sharedkey_test,algorithm=HMAC_SHA256")], token=SHARED_KEY)
add("tampered_param", BASE, SMS_BODY.replace("bye", "bye!"), sig, "Body param changed after signing")
add("extra_param", BASE, SMS_BODY + "&Extra=1", sig, "one added param")
add("valid_duplicate_param_collapsed", BASE, SMS_BODY + "&NumMedia=0", sig,
    "SURPRISING: NumMedia=0 sent twice still matches the single-value signature: the SDK signs sorted(set(values)) per name", sdk_specific=True)
add("wrong_token", BASE, SMS_BODY, RequestValidator("0" * 32).compute_signature(BASE, form_params(SMS_BODY)), "signed with another auth token")
add("wrong_signature_same_format", BASE, SMS_BODY, V.compute_signature(BASE + "/", form_params(SMS_BODY)),
    "valid base64 HMAC-SHA1 but over the URL with a trailing slash")
add("http_vs_https", "http://hooks.example.test/twilio/sms", SMS_BODY, sig, "signed for https, delivered to http")
add("missing_signature_header", BASE, SMS_BODY, None, "no X-Twilio-Signature")

write("twilio", sdk_label("twilio"),
      ["twilio.request_validator.RequestValidator(token).compute_signature(uri, params, algorithm=None)",
       "RequestValidator.compute_hash(body)", "RequestValidator.validate(uri, params, signature, algorithm=None)",
       "twilio.request_validator.get_signature_algorithm(settings_header)"],
      {"secret": TOKEN, "shared_key_secret": SHARED_KEY}, cases,
      {"id_and_type": "no id/type headers for Messaging/Voice webhooks: id = body param MessageSid / CallSid (SmsSid, SmsMessageSid legacy), "
                      "status = SmsStatus/MessageStatus/CallStatus; retries carry I-Twilio-Idempotency-Token"})
