"""Prometheus Alertmanager → chat: one message per notification, one attachment per alert.

Add a webhook receiver (webhook_configs: url: https://<host>/hooks/<id>/<token>)
to alertmanager.yml; see README.md next to this file.
"""

import datetime
import re

from hookkit import (BLUE, GREEN, RED, YELLOW, dispatch, field, http_url, link, message, obj, plural,
                    shorten, unique)

# Alertmanager sends no event header: the group's "status" says what happened.
EVENT_FIELD = "status"

# Colour of a firing alert by its "severity" label (anything else is red).
SEVERITY_COLORS = {
    "critical": RED,
    "error": RED,
    "page": RED,
    "high": RED,
    "warning": YELLOW,
    "warn": YELLOW,
    "medium": YELLOW,
    "info": BLUE,
    "low": BLUE,
    "none": BLUE,
}

MAX_ALERTS = 10
MAX_BODY = 500
TIMESTAMP = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$")


def utc_time(value):
    """RFC 3339 time (any offset, nanoseconds) → "2020-02-06 00:17:58 UTC"; None if unset."""
    match = TIMESTAMP.match(str(value or ""))
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    if int(year) < 1000:  # Go's zero time "0001-01-01T00:00:00Z" means "not set"
        return None
    stamp = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                              tzinfo=datetime.timezone.utc)
    if zone != "Z":
        offset = datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        stamp = stamp - offset if zone[0] == "+" else stamp + offset
    return stamp.strftime("%Y-%m-%d %H:%M:%S UTC")


def notification(content, request):
    alerts = content.get("alerts")
    if not isinstance(alerts, (list, tuple)) or not alerts:
        return {"error": "Alertmanager payload is missing 'alerts' (a non-empty list)"}
    for index, alert in enumerate(alerts):
        if not isinstance(alert, dict) or not isinstance(alert.get("labels"), dict):
            return {"error": f"Alertmanager payload: alerts[{index}] has no 'labels' object"}
    status = content["status"]
    common = obj(content.get("commonLabels"))
    names = unique(alert["labels"].get("alertname") or "alert" for alert in alerts)
    count = len(alerts)
    state = "Firing" if status == "firing" else "Resolved"
    url = alerts_url(content)
    text = f"{state} ({plural(count, 'alert')}): {link(', '.join(names), url)}"
    attachments = [attachment(alert, status, common) for alert in alerts[:MAX_ALERTS]]
    if count > MAX_ALERTS:
        text = f"{text} — showing {MAX_ALERTS}, {count - MAX_ALERTS} more in Alertmanager"
    return message(text, *attachments)


def alerts_url(content):
    base = http_url(content.get("externalURL"))
    if not base:
        return None
    receiver = content.get("receiver")
    suffix = f"?receiver={receiver}" if receiver else ""
    return f"{base.rstrip('/')}/#/alerts{suffix}"


def attachment(alert, group_status, common):
    labels = alert["labels"]
    annotations = obj(alert.get("annotations"))
    status = alert.get("status") or group_status
    severity = labels.get("severity") or common.get("severity")
    if status == "resolved":
        color = GREEN
    elif severity:
        color = SEVERITY_COLORS.get(str(severity).lower(), RED)
    else:
        color = RED
    fields = []
    if severity:
        fields.append(field("Severity", severity))
    for name in sorted(labels):
        if name in ("alertname", "severity") or common.get(name) == labels[name]:
            continue
        fields.append(field(name, labels[name]))
    started = utc_time(alert.get("startsAt"))
    if started:
        fields.append(field("Started", started))
    ended = utc_time(alert.get("endsAt")) if status == "resolved" else None
    if ended:
        fields.append(field("Ended", ended))
    runbook = http_url(annotations.get("runbook_url"))
    if runbook:
        fields.append(field("Runbook", link("open", runbook)))
    return {
        "color": color,
        "title": annotations.get("summary") or labels.get("alertname") or "Alert",
        "title_link": http_url(alert.get("generatorURL")),
        "text": shorten(annotations.get("description") or annotations.get("message"), MAX_BODY) or None,
        "fields": fields,
    }


EVENTS = {"firing": notification, "resolved": notification}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, field=EVENT_FIELD, service="Alertmanager",
                        hint="expected 'firing' or 'resolved'")
