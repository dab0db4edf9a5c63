"""Fixture tests for the Stripe script: one per fixture, exact messages."""


def test_charge_dispute_created__needs_response(check):
    check("charge_dispute_created__needs_response",
          text=('Dispute of [22.00 '
                'USD](https://dashboard.stripe.com/test/disputes/du_1TbG46JEe0yY0QKr8P0G3pa3) opened: '
                'product not received'),
          attachments=[{'color': '#a30200',
                        'title': '22.00 USD',
                        'title_link': 'https://dashboard.stripe.com/test/disputes/du_1TbG46JEe0yY0QKr8P0G3pa3',
                        'fields': [{'title': 'Status', 'value': 'needs response', 'short': True},
                                   {'title': 'Charge', 'value': 'ch_3TbG44JEe0yY0QKr0aPnlMSQ', 'short': True},
                                   {'title': 'Evidence due',
                                    'value': '2026-06-03 23:59 UTC',
                                    'short': True}]}])


def test_charge_succeeded__card(check):
    check("charge_succeeded__card",
          text=('Payment of [1.00 AUD](https://dashboard.stripe.com/payments/ch_000000000000000000000000) '
                'succeeded'),
          attachments=[{'color': '#2eb886',
                        'title': '1.00 AUD',
                        'title_link': 'https://dashboard.stripe.com/payments/ch_000000000000000000000000',
                        'fields': [{'title': 'Customer', 'value': 'user@example.com', 'short': True},
                                   {'title': 'Card', 'value': 'Visa ····0000', 'short': True}]}])


def test_customer_subscription_deleted__canceled(check):
    check("customer_subscription_deleted__canceled",
          text=('Subscription '
                '[sub_00000000000000](https://dashboard.stripe.com/test/subscriptions/sub_00000000000000) to '
                'Gold Special was canceled'),
          attachments=[{'color': '#808080',
                        'title': 'Gold Special',
                        'title_link': 'https://dashboard.stripe.com/test/subscriptions/sub_00000000000000',
                        'fields': [{'title': 'Customer', 'value': 'cus_00000000000000', 'short': True},
                                   {'title': 'Price', 'value': '20.00 AUD / month', 'short': True},
                                   {'title': 'Status', 'value': 'canceled', 'short': True}]}])


def test_invoice_payment_failed__subscription(check):
    check("invoice_payment_failed__subscription",
          text=('Invoice [in_00000000000000](https://dashboard.stripe.com/test/invoices/in_00000000000000) '
                'for 0.00 AUD failed to be paid'),
          attachments=[{'color': '#a30200',
                        'title': 'Invoice in_00000000000000',
                        'title_link': 'https://dashboard.stripe.com/test/invoices/in_00000000000000',
                        'fields': [{'title': 'Customer', 'value': 'cus_00000000000000', 'short': True},
                                   {'title': 'Plan', 'value': 'Gold Special', 'short': True}]}])



def test_zero_decimal_currency_and_refund(check):
    check("charge_succeeded__card",
          change={"type": "charge.refunded", "data.object.currency": "jpy", "data.object.amount": 500,
                  "data.object.amount_refunded": 500},
          text="Payment of [500 JPY](https://dashboard.stripe.com/payments/ch_000000000000000000000000) was refunded")


def test_unselected_event_is_not_supported(check):
    check("charge_succeeded__card", change={"type": "customer.updated"}, expect_unsupported=True)


def test_missing_object(check):
    check("charge_succeeded__card", drop=["data.object"], status=400,
          error="Stripe 'charge.succeeded' payload is missing 'data.object.id'")


def test_not_an_event(check):
    check({"object": "charge"}, status=400,
          error="Stripe payload is missing 'type': is this a Stripe webhook delivery?")
