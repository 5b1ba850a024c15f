"""Only Twilio may post to the webhook: X-Twilio-Signature is checked on every request."""
from messaging.sms_text import with_opt_out
from server.signature import is_valid_signature
from tests.support.accounts import BORROWER
from tests.support.app import PRODUCTION_SECRETS
from tests.support.twilio import post_sms, sign

# twilio-python's published test vector (tests/unit/test_request_validator.py).
# Its caller is +14158675309; with any other number the signature differs.
VECTOR_TOKEN = "12345"
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
VECTOR_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_published_vector_is_accepted():
    assert is_valid_signature(VECTOR_TOKEN, VECTOR_URL, VECTOR_PARAMS, VECTOR_SIGNATURE)


def test_changed_parameter_is_rejected():
    tampered = {**VECTOR_PARAMS, "Digits": "1235"}
    assert not is_valid_signature(VECTOR_TOKEN, VECTOR_URL, tampered, VECTOR_SIGNATURE)


def test_wrong_token_or_missing_signature_is_rejected():
    assert not is_valid_signature("54321", VECTOR_URL, VECTOR_PARAMS, VECTOR_SIGNATURE)
    assert not is_valid_signature(VECTOR_TOKEN, VECTOR_URL, VECTOR_PARAMS, None)
    assert not is_valid_signature(VECTOR_TOKEN, VECTOR_URL, VECTOR_PARAMS, "")


def test_signed_webhook_is_answered(sms, fake_rasa):
    reply = sms("hello")
    assert reply.status_code == 200
    assert reply.texts == [with_opt_out("Bot heard: hello")]


def test_missing_signature_is_forbidden(client, fake_rasa):
    form = {"MessageSid": "SM1", "From": BORROWER, "Body": "hello", "NumMedia": "0"}
    response = client.post("/twilio/sms", data=form)
    assert response.status_code == 403
    assert fake_rasa.calls == []


def test_bad_signature_is_forbidden(client, fake_rasa):
    form = {"MessageSid": "SM1", "From": BORROWER, "Body": "hello", "NumMedia": "0"}
    signature = sign("http://localhost/twilio/sms", {**form, "Body": "something else"})
    response = client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert fake_rasa.calls == []


def test_signature_with_another_token_is_forbidden(sms, fake_rasa):
    assert sms("hello", token="not-the-token").status_code == 403
    assert fake_rasa.calls == []


def test_behind_a_proxy_the_public_url_is_what_twilio_signed(make_app, fake_rasa):
    client = make_app(PUBLIC_URL="https://sms.lender.example/", **PRODUCTION_SECRETS).test_client()
    public = "https://sms.lender.example/twilio/sms"

    reply = post_sms(client, "hello", url=public)
    assert reply.status_code == 200
    assert reply.texts == [with_opt_out("Bot heard: hello")]
    # Signed for the internal URL Flask sees: not what Twilio would have signed.
    assert post_sms(client, "hello", url="http://localhost/twilio/sms").status_code == 403


def test_public_url_keeps_the_query_string(make_app):
    client = make_app(PUBLIC_URL="https://sms.lender.example", **PRODUCTION_SECRETS).test_client()
    reply = post_sms(
        client, "hi", path="/twilio/sms?tenant=north",
        url="https://sms.lender.example/twilio/sms?tenant=north",
    )
    assert reply.status_code == 200


def test_without_a_token_the_development_token_is_required(make_app):
    from settings.service import DEV_TWILIO_AUTH_TOKEN

    client = make_app(TWILIO_AUTH_TOKEN=None).test_client()
    assert post_sms(client, "hi").status_code == 403  # signed with the test token
    assert post_sms(client, "hi", token=DEV_TWILIO_AUTH_TOKEN).status_code == 200
