"""UptimeRobot → chat: monitors going down, coming back up, and expiring SSL certificates.

Add a Webhook alert contact in UptimeRobot whose URL is https://<host>/hooks/<id>/<token> and whose
POST value is the JSON body shown in README.md next to this file.
"""

from hookkit import GREEN, RED, YELLOW, dispatch, field, http_url, link, message

# UptimeRobot's *alertType* variable: 1 = down, 2 = up, 3 = SSL certificate expiry.
ALERT_TYPES = {"1": "down", "2": "up", "3": "ssl_expiry"}

NEEDS = {"*": ("monitor_friendly_name",)}


def alert_type(body):
    value = str(body.get("alert_type") or "").strip()
    return ALERT_TYPES.get(value, f"alert_type {value}" if value else None)


def monitor(body):
    name = body["monitor_friendly_name"]
    url = body.get("monitor_url")
    return link(name, http_url(url)), name, url


def fields(body, with_duration):
    out = []
    if body.get("monitor_url"):
        out.append(field("Monitor", body["monitor_url"]))
    if body.get("alert_details"):
        out.append(field("Details", body["alert_details"]))
    duration = str(body.get("alert_friendly_duration") or "")
    # Unfilled template variables (*alertFriendlyDuration*) are left out.
    if with_duration and duration and not duration.startswith("*"):
        out.append(field("Was down for", duration))
    return out


def down(body, request=None):
    label, name, _ = monitor(body)
    details = body.get("alert_details")
    text = f"{label} is DOWN" + (f": {details}" if details else "")
    return message(text, {"color": RED, "title": f"{name} is down", "fields": fields(body, False)})


def up(body, request=None):
    label, name, _ = monitor(body)
    text = f"{label} is back UP"
    return message(text, {"color": GREEN, "title": f"{name} is up", "fields": fields(body, True)})


def ssl_expiry(body, request=None):
    label, name, _ = monitor(body)
    text = f"The SSL certificate of {label} expires soon"
    return message(text, {"color": YELLOW, "title": f"{name}: SSL certificate expiry",
                          "fields": fields(body, False)})


EVENTS = {"down": down, "up": up, "ssl_expiry": ssl_expiry}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, detect=alert_type, needs=NEEDS, service="UptimeRobot",
                        hint="expected 'alert_type' (1 down, 2 up, 3 SSL expiry)")
