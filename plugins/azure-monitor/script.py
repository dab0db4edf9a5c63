"""Azure Monitor → chat: alerts fired and resolved, in the common alert schema.

Add a Webhook action (with "Enable the common alert schema") to an action group pointing at
https://<host>/hooks/<id>/<token>; see README.md next to this file.
"""

from hookkit import BLUE, GREEN, GREY, RED, YELLOW, at_most, dispatch, field, message, obj, objs

NEEDS = {"*": ("data.essentials.alertRule",)}
# Sev0 critical … Sev4 verbose
SEVERITY_COLORS = {"Sev0": RED, "Sev1": RED, "Sev2": YELLOW, "Sev3": YELLOW, "Sev4": BLUE}
MAX_CONDITIONS = 5


def condition(body):
    """Azure Monitor sends no event header: ``data.essentials.monitorCondition`` is Fired or Resolved."""
    if body.get("schemaId") != "azureMonitorCommonAlertSchema":
        return None
    return obj(obj(body.get("data")).get("essentials")).get("monitorCondition")


def criteria_lines(body):
    criteria = objs(obj(obj(obj(body["data"].get("alertContext")).get("condition"))).get("allOf"))
    lines = []
    for item in criteria:
        name = item.get("metricName") or item.get("webTestName") or "condition"
        value = item.get("metricValue")
        line = f"{name} {item.get('timeAggregation') or ''} {item.get('operator') or ''} {item.get('threshold')}"
        if value is not None:
            line = f"{line} (value {value})"
        lines.append(" ".join(line.split()))
    return at_most(lines, MAX_CONDITIONS)


def alert(body, request=None):
    essentials = body["data"]["essentials"]
    fired = str(essentials.get("monitorCondition")) == "Fired"
    severity = essentials.get("severity")
    color = SEVERITY_COLORS.get(severity, RED) if fired else GREEN
    targets = ", ".join(str(t) for t in (essentials.get("configurationItems") or []) if t)
    verb = "fired" if fired else "resolved"
    text = f"Azure alert {essentials['alertRule']} {verb}" + (f" on {targets}" if targets else "")
    fields = []
    if severity:
        fields.append(field("Severity", severity))
    if essentials.get("signalType"):
        fields.append(field("Signal", essentials["signalType"]))
    if essentials.get("monitoringService"):
        fields.append(field("Service", essentials["monitoringService"]))
    attachment = {"color": color, "title": essentials["alertRule"], "fields": fields}
    lines = criteria_lines(body)
    description = essentials.get("description")
    if lines or description:
        attachment["text"] = "\n".join(([description] if description else []) + lines)
    return message(text, attachment)


EVENTS = {"Fired": alert, "Resolved": alert}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, detect=condition, needs=NEEDS, service="Azure Monitor",
                        hint="expected the common alert schema (schemaId azureMonitorCommonAlertSchema)")
