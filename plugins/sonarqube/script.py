"""SonarQube (and SonarCloud) → chat: the quality gate result of each analysis.

Add a webhook (Administration → Configuration → Webhooks, or per project) with URL
https://<host>/hooks/<id>/<token> and a secret; see README.md next to this file.
"""

from hookkit import GREEN, RED, YELLOW, at_most, dispatch, field, link, message, obj, objs

NEEDS = {"*": ("project.name", "qualityGate.status")}
GATE = {"OK": ("passed", GREEN), "WARN": ("has warnings", YELLOW), "ERROR": ("failed", RED)}
MAX_CONDITIONS = 10


def metric(name):
    """"new_duplicated_lines_density" → "new duplicated lines density"."""
    return str(name or "?").replace("_", " ")


def condition_line(condition):
    value = condition.get("value")
    threshold = condition.get("errorThreshold")
    sign = "<" if condition.get("operator") == "LESS_THAN" else ">"
    shown = f"{value}" if value is not None else "no value"
    return f"{metric(condition.get('metric'))}: {shown} (fails when {sign} {threshold})"


def quality_gate(body, request=None):
    gate = body["qualityGate"]
    project = body["project"]
    status = str(gate["status"]).upper()
    verb, color = GATE.get(status, (status.lower(), YELLOW))
    branch = obj(body.get("branch"))
    where = link(project["name"], project.get("url") or branch.get("url"))
    on = f" on {branch['name']}" if branch.get("name") else ""
    text = f"Quality gate {verb} for {where}{on}"
    failing = [c for c in objs(gate.get("conditions")) if c.get("status") in ("ERROR", "WARN")]
    fields = [field("Quality gate", gate.get("name") or "?")]
    if body.get("status") and body["status"] != "SUCCESS":
        fields.append(field("Analysis", body["status"]))
    attachment = {"color": color, "title": f"{project['name']}{on}", "title_link": project.get("url"),
                  "fields": fields}
    if failing:
        attachment["text"] = "\n".join(at_most([condition_line(c) for c in failing], MAX_CONDITIONS))
    return message(text, attachment)


def kind(body):
    """SonarQube sends one kind of webhook (analysis done), without an event header."""
    return "quality_gate" if "qualityGate" in body else None


EVENTS = {"quality_gate": quality_gate}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, detect=kind, needs=NEEDS, service="SonarQube",
                        hint="expected 'qualityGate' and 'project'")
