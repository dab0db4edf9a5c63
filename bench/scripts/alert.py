# Alertmanager → chat message with one attachment per alert (benchmark scenario "python").
class Script:
    COLORS = {"firing": "#d62728", "resolved": "#2ca02c"}

    def process_incoming_request(self, request):
        body = request["content"]
        status = body.get("status") or "unknown"
        labels = body.get("commonLabels") or {}
        annotations = body.get("commonAnnotations") or {}
        alerts = body.get("alerts") or []
        name = labels.get("alertname") or "alert"
        fields = []
        for alert in alerts:
            alert_labels = alert.get("labels") or {}
            alert_notes = alert.get("annotations") or {}
            fields.append({
                "title": alert_labels.get("host") or alert_labels.get("instance") or name,
                "value": alert_notes.get("description") or alert_notes.get("summary") or "",
                "short": True,
            })
        attachment = {
            "title": f"[{status.upper()}:{len(alerts)}] {name}",
            "title_link": body.get("externalURL"),
            "text": annotations.get("summary") or "",
            "color": self.COLORS.get(status, "#888888"),
            "fields": fields,
        }
        severity = labels.get("severity") or "none"
        return {
            "content": {
                "text": f"{name} is {status} on {len(alerts)} target(s), severity {severity}",
                "attachments": [attachment],
            }
        }
