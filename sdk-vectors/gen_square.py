"""Square: x-square-hmacsha256-signature = base64 HMAC-SHA256(signature key, notification URL + raw body).

The Square SDKs have no signing function, only a verifier. This script builds the signature with Python's
hmac per Square's documented algorithm and records what square.utils.webhooks_helper.verify_signature
(squareup on PyPI) says; every vector's verdict comes from the SDK.
"""
import base64
import hashlib
import hmac
import json

from square.utils.webhooks_helper import verify_signature

from _common import case, sdk_label, write

KEY = "test-square-signature-key-0123456789"
URL = "https://hooks.example.test/square/webhook?tenant=acme"


def doc_sign(url, body, key=KEY):  # Square's documented algorithm, checked below by the SDK
    return base64.b64encode(hmac.new(key.encode(), (url + body).encode(), hashlib.sha256).digest()).decode()


def event(event_id, typ, obj):
    return json.dumps({"merchant_id": "MLTEST000001", "type": typ, "event_id": event_id, "created_at": "2026-01-01T00:00:00Z",
                       "data": {"type": typ.split(".")[0], "id": obj["id"], "object": obj}}, ensure_ascii=False)


PAY = event("6a8f5f28-54a1-4eb0-a98a-3111513fd4fc", "payment.updated", {"id": "KkAkhdMsgzn59SM8A89WgKwekxLZY", "status": "COMPLETED"})
CUS = event("7b9a6a39-65b2-4fc1-b09b-4222624fe50d", "customer.created", {"id": "CUSTOMER1", "given_name": "Amélie"})

cases = []


def add(name, url, body, sig, note, verify_url=None, sdk_specific=False):
    headers = [("Content-Type", "application/json"),
               ("Square-Initial-Delivery-Timestamp", "2026-01-01T00:00:00.000Z"), ("Square-Retry-Number", "0")]
    if sig is not None:
        headers.append(("x-square-hmacsha256-signature", sig))
    try:
        ok, detail = verify_signature(request_body=body, signature_header=sig, signature_key=KEY, notification_url=verify_url or url), None
    except Exception as e:
        ok, detail = False, f"verify_signature raised {type(e).__name__}: {e}"
    c = case(name, url=url, headers=headers, body=body, accepts=ok, note=note, detail=detail, sdk_specific=sdk_specific)
    c["notification_url"] = verify_url or url
    cases.append(c)


sig = doc_sign(URL, PAY)
add("valid_payment_updated", URL, PAY, sig, "notification URL (with its query string) + body")
add("valid_customer_created", URL, CUS, doc_sign(URL, CUS), "non-ASCII body")
add("url_trailing_slash", URL, PAY, sig, "verifier configured with a trailing slash in the path", URL.replace("/webhook?", "/webhook/?"))
add("url_with_default_port", URL, PAY, sig, "verifier configured with :443: URL is compared byte for byte, no port normalisation",
    URL.replace("example.test/", "example.test:443/"))
add("url_host_uppercase", URL, PAY, sig, "host in upper case", URL.replace("hooks.example.test", "HOOKS.EXAMPLE.TEST"))
add("url_without_query", URL, PAY, sig, "verifier configured without the query string", URL.split("?")[0])
add("tampered_body", URL, PAY.replace("COMPLETED", "FAILED"), sig, "body changed after signing")
add("wrong_key", URL, PAY, doc_sign(URL, PAY, "another-signature-key"), "signed with another signature key")
add("body_only_signed", URL, PAY, doc_sign("", PAY), "right-format signature over the body alone (URL left out)")
add("hex_instead_of_base64", URL, PAY, base64.b64decode(sig).hex(), "correct digest, hex-encoded")
add("missing_signature_header", URL, PAY, None, "no x-square-hmacsha256-signature")
add("empty_body", URL, "", doc_sign(URL, ""), "a correct signature over URL + empty body: the Python SDK rejects empty bodies (the Node SDK accepts)", sdk_specific=True)

write("square", sdk_label("squareup"),
      ["square.utils.webhooks_helper.verify_signature(request_body, signature_header, signature_key, notification_url)"],
      {"secret": KEY}, cases,
      {"signing": "no SDK signer: signatures built in gen_square.py with hmac per the documented algorithm; verdicts from the SDK",
       "id_and_type": "body fields event_id and type (merchant_id, data.id); no id/type headers"})
