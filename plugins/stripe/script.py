"""Stripe → chat: payments, refunds, disputes, invoices, subscriptions and payouts.

Add a webhook endpoint (Developers → Webhooks) with URL https://<host>/hooks/<id>/<token> and verify it
with the endpoint's signing secret; see README.md next to this file.
"""

import datetime

from hookkit import BLUE, GREEN, GREY, RED, YELLOW, dispatch, field, link, message, obj, objs

NEEDS = {"*": ("data.object.id",)}

# Currencies without minor units (https://docs.stripe.com/currencies#zero-decimal).
ZERO_DECIMAL = ("bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
                "xaf", "xof", "xpf")
DASHBOARD = "https://dashboard.stripe.com"


def amount(value, currency):
    """Stripe amounts are in the smallest unit: 2000 usd → "20.00 USD", 500 jpy → "500 JPY"."""
    code = str(currency or "").lower()
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return f"? {code.upper()}".strip()
    if code in ZERO_DECIMAL:
        return f"{int(value)} {code.upper()}"
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(int(value)), 100)
    return f"{sign}{whole}.{cents:02d} {code.upper()}".strip()


def when(stamp):
    """Unix time → "2026-06-03 23:59 UTC"."""
    if not isinstance(stamp, (int, float)) or isinstance(stamp, bool):
        return str(stamp)
    return datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def dashboard(body, path):
    prefix = "" if body.get("livemode") else "/test"
    return f"{DASHBOARD}{prefix}/{path}"


def item(body):
    return body["data"]["object"]


def customer_field(thing):
    customer = thing.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("email") or customer.get("id")
    email = thing.get("receipt_email") or thing.get("customer_email")
    shown = email or customer
    return field("Customer", shown) if shown else None


def keep(*fields):
    return [f for f in fields if f]


def charge(verb, color):
    def handler(body, request=None):
        thing = item(body)
        money = amount(thing.get("amount"), thing.get("currency"))
        url = dashboard(body, f"payments/{thing.get('payment_intent') or thing['id']}")
        text = f"Payment of {link(money, url)} {verb}"
        card = obj(thing.get("source")) or obj(obj(thing.get("payment_method_details")).get("card"))
        fields = keep(customer_field(thing),
                      field("Card", f"{card.get('brand')} ····{card.get('last4')}") if card.get("last4") else None,
                      field("Description", thing["description"]) if thing.get("description") else None)
        attachment = {"color": color, "title": money, "title_link": url, "fields": fields}
        if thing.get("failure_message"):
            attachment["text"] = thing["failure_message"]
        if verb == "was refunded" and thing.get("amount_refunded"):
            attachment["fields"].append(field("Refunded", amount(thing["amount_refunded"], thing.get("currency"))))
        return message(text, attachment)
    return handler


def dispute(verb, color):
    def handler(body, request=None):
        thing = item(body)
        money = amount(thing.get("amount"), thing.get("currency"))
        url = dashboard(body, f"disputes/{thing['id']}")
        reason = str(thing.get("reason") or "").replace("_", " ")
        text = f"Dispute of {link(money, url)} {verb}" + (f": {reason}" if reason else "")
        fields = keep(field("Status", str(thing.get("status") or "").replace("_", " ")) if thing.get("status") else None,
                      field("Charge", thing["charge"]) if thing.get("charge") else None)
        due = obj(thing.get("evidence_details")).get("due_by")
        if due and thing.get("status") == "needs_response":
            fields.append(field("Evidence due", when(due)))
        return message(text, {"color": color, "title": money, "title_link": url, "fields": fields})
    return handler


def invoice(verb, color):
    def handler(body, request=None):
        thing = item(body)
        due = thing.get("amount_due") if thing.get("amount_due") is not None else thing.get("total")
        money = amount(due, thing.get("currency"))
        url = thing.get("hosted_invoice_url") or dashboard(body, f"invoices/{thing['id']}")
        number = thing.get("number") or thing["id"]
        text = f"Invoice {link(number, url)} for {money} {verb}"
        plans = [obj(line.get("plan")).get("name") or obj(line.get("price")).get("nickname") or line.get("description")
                 for line in objs(obj(thing.get("lines")).get("data"))]
        fields = keep(customer_field(thing),
                      field("Plan", ", ".join(str(p) for p in plans if p)) if any(plans) else None,
                      field("Attempts", thing["attempt_count"]) if thing.get("attempt_count") else None)
        return message(text, {"color": color, "title": f"Invoice {number}", "title_link": url, "fields": fields})
    return handler


def subscription(verb, color):
    def handler(body, request=None):
        thing = item(body)
        plan = obj(thing.get("plan"))
        items = objs(obj(thing.get("items")).get("data"))
        price = obj(items[0].get("price")) if items else {}
        name = plan.get("name") or plan.get("nickname") or price.get("nickname") or plan.get("id") or "a plan"
        url = dashboard(body, f"subscriptions/{thing['id']}")
        text = f"Subscription {link(thing['id'], url)} to {name} {verb}"
        money = plan.get("amount") if plan.get("amount") is not None else price.get("unit_amount")
        interval = plan.get("interval") or obj(price.get("recurring")).get("interval")
        fields = keep(customer_field(thing),
                      field("Price", amount(money, plan.get("currency") or price.get("currency"))
                            + (f" / {interval}" if interval else "")) if money is not None else None,
                      field("Status", thing["status"]) if thing.get("status") else None)
        return message(text, {"color": color, "title": str(name), "title_link": url, "fields": fields})
    return handler


def payout(verb, color):
    def handler(body, request=None):
        thing = item(body)
        money = amount(thing.get("amount"), thing.get("currency"))
        url = dashboard(body, f"payouts/{thing['id']}")
        attachment = {"color": color, "title": money, "title_link": url,
                      "fields": keep(field("Arrival", when(thing["arrival_date"])) if thing.get("arrival_date") else None)}
        if thing.get("failure_message"):
            attachment["text"] = thing["failure_message"]
        return message(f"Payout of {link(money, url)} {verb}", attachment)
    return handler


EVENTS = {
    "charge.succeeded": charge("succeeded", GREEN),
    "charge.failed": charge("failed", RED),
    "charge.refunded": charge("was refunded", GREY),
    "charge.dispute.created": dispute("opened", RED),
    "charge.dispute.closed": dispute("closed", GREY),
    "invoice.paid": invoice("was paid", GREEN),
    "invoice.payment_succeeded": invoice("was paid", GREEN),
    "invoice.payment_failed": invoice("failed to be paid", RED),
    "invoice.payment_action_required": invoice("needs the customer's action", YELLOW),
    "customer.subscription.created": subscription("started", BLUE),
    "customer.subscription.deleted": subscription("was canceled", GREY),
    "customer.subscription.trial_will_end": subscription("ends its trial in 3 days", YELLOW),
    "payout.paid": payout("was paid", GREEN),
    "payout.failed": payout("failed", RED),
}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, field="type", needs=NEEDS, service="Stripe")
