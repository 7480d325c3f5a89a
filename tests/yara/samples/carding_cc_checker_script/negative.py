# Integration test for our Stripe checkout (uses Stripe's published test cards).
import stripe
TEST_CARDS = {"4242424242424242": "Approved", "4000000000000002": "Declined"}
def test_payment_intents(client):
    for number, expected in TEST_CARDS.items():
        intent = client.post("/api/pay", json={"number": number, "cvc": "123", "exp": "12/34"})
        assert intent.json()["status"] == expected, "api.stripe.com returned an unexpected status"
