"""Harbor → chat: artifacts pushed and deleted, vulnerability scans, quota and replication events.

Add a webhook policy to the Harbor project (Projects → Webhooks) with endpoint
https://<host>/hooks/<id>/<token>; see README.md next to this file.
"""

from hookkit import BLUE, GREEN, GREY, RED, YELLOW, at_most, dispatch, field, message, obj, objs

NEEDS = {"*": ("event_data.repository.repo_full_name",)}
SEVERITY_COLORS = {"Critical": RED, "High": RED, "Medium": YELLOW, "Low": BLUE, "None": GREEN, "Unknown": GREY}
MAX_RESOURCES = 10


def repository(body):
    return body["event_data"]["repository"]["repo_full_name"]


def resources(body):
    return objs(obj(body.get("event_data")).get("resources"))


def reference(resource):
    tag = resource.get("tag")
    digest = str(resource.get("digest") or "")
    return tag or digest[:19] or "?"


def lines(body):
    out = []
    for resource in resources(body):
        out.append(f"{reference(resource)}: {resource.get('resource_url') or resource.get('digest') or ''}".rstrip(": "))
    return at_most(out, MAX_RESOURCES)


def artifact(verb, color):
    def handler(body, request=None):
        refs = ", ".join(reference(r) for r in resources(body)) or "an artifact"
        who = body.get("operator") or "someone"
        text = f"{who} {verb} {repository(body)}:{refs}" if resources(body) else f"{who} {verb} an artifact of {repository(body)}"
        return message(text, {"color": color, "title": repository(body), "text": "\n".join(lines(body))})
    return handler


def scan_report(resource):
    overview = obj(resource.get("scan_overview"))
    for key in overview:
        return obj(overview[key])
    return {}


def scanning(outcome, color):
    def handler(body, request=None):
        attachments = []
        for resource in resources(body)[:MAX_RESOURCES]:
            report = scan_report(resource)
            summary = obj(report.get("summary"))
            counts = obj(summary.get("summary"))
            severity = report.get("severity")
            fields = []
            if severity:
                fields.append(field("Severity", severity))
            if summary.get("total") is not None:
                fields.append(field("Vulnerabilities", f"{summary['total']} ({summary.get('fixable', 0)} fixable)"))
            if counts:
                fields.append(field("By severity", ", ".join(f"{k}: {counts[k]}" for k in counts), short=False))
            scanner = obj(report.get("scanner")).get("name")
            if scanner:
                fields.append(field("Scanner", scanner))
            attachments.append({"color": SEVERITY_COLORS.get(severity, color) if outcome == "completed" else color,
                                "title": f"{repository(body)}:{reference(resource)}", "fields": fields})
        refs = ", ".join(reference(r) for r in resources(body))
        text = f"Vulnerability scan {outcome} for {repository(body)}" + (f":{refs}" if refs else "")
        return message(text, *attachments)
    return handler


def quota(kind, color):
    def handler(body, request=None):
        details = obj(body.get("event_data")).get("custom_attributes")
        text = f"Quota {kind} in {repository(body)}"
        detail = obj(details).get("Details")
        return message(text, {"color": color, "title": repository(body), "text": detail} if detail else None)
    return handler


def replication(body, request=None):
    info = obj(obj(body.get("event_data")).get("replication"))
    status = info.get("job_status") or "finished"
    color = GREEN if str(status).lower() == "success" else RED if str(status).lower() in ("failed", "error") else BLUE
    policy = info.get("harbor_hostname") or "Harbor"
    text = f"Replication of {repository(body)} {str(status).lower()}"
    return message(text, {"color": color, "title": repository(body), "fields": [field("Host", policy)]})


EVENTS = {
    "PUSH_ARTIFACT": artifact("pushed", BLUE),
    "DELETE_ARTIFACT": artifact("deleted", GREY),
    "SCANNING_COMPLETED": scanning("completed", GREEN),
    "SCANNING_FAILED": scanning("failed", RED),
    "SCANNING_STOPPED": scanning("stopped", GREY),
    "QUOTA_EXCEED": quota("exceeded", RED),
    "QUOTA_WARNING": quota("warning", YELLOW),
    "REPLICATION": replication,
    # PULL_ARTIFACT would post on every docker pull: left out on purpose.
}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, field="type", needs=NEEDS, service="Harbor")
