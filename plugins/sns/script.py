"""Amazon SNS → chat: topic notifications (CloudWatch alarms formatted), and the subscription handshake.

Subscribe https://<host>/hooks/<id>/<token> to the topic (protocol HTTPS); the script confirms the
subscription itself when the integration allows egress to *.amazonaws.com. See README.md.
"""

import json

from hookkit import BLUE, GREEN, GREY, RED, YELLOW, dispatch, field, http_url, link, message, obj, shorten

EVENT_HEADER = "x-amz-sns-message-type"
NEEDS = {
    "SubscriptionConfirmation": ("TopicArn", "SubscribeURL"),
    "Notification": ("TopicArn", "Message"),
    "UnsubscribeConfirmation": ("TopicArn",),
}
ALARM_STATES = {"ALARM": RED, "OK": GREEN, "INSUFFICIENT_DATA": GREY}
MAX_MESSAGE = 1000


def topic(body):
    """"arn:aws:sns:us-west-2:123456789012:MyTopic" → "MyTopic"."""
    return str(body["TopicArn"]).rsplit(":", 1)[-1]


def confirm(body, request=None):
    url = http_url(body["SubscribeURL"])
    if not url:
        return {"error": "SNS 'SubscriptionConfirmation' payload: 'SubscribeURL' is not an http(s) URL"}
    try:
        answer = HTTP("GET", url, {"timeout": 5000})
    except NameError:  # HTTP() exists only when the integration allows egress
        answer = {"error": "the integration allows no egress (add *.amazonaws.com to http.allow_hosts)"}
    except Exception as exc:
        answer = {"error": str(exc)}
    if answer.get("error"):
        console.warn(f"could not confirm the SNS subscription automatically: {answer['error']}")
        return message(f"Amazon SNS topic {topic(body)} wants to deliver here: {link('confirm the subscription', url)}",
                       {"color": YELLOW, "title": body["TopicArn"],
                        "text": f"Automatic confirmation failed: {shorten(answer['error'], 300)}"})
    return message(f"Subscribed to Amazon SNS topic {topic(body)}",
                   {"color": GREEN, "title": body["TopicArn"]})


def alarm_url(alarm):
    """The CloudWatch console page of an alarm, from its ARN (newer alarm messages carry one)."""
    parts = str(alarm.get("AlarmArn") or "").split(":")
    if len(parts) < 7 or not alarm.get("AlarmName"):
        return None
    return f"https://console.aws.amazon.com/cloudwatch/home?region={parts[3]}#alarmsV2:alarm/{alarm['AlarmName']}"


def cloudwatch_alarm(body, alarm):
    state = str(alarm.get("NewStateValue") or "?")
    where = f" in {alarm['Region']}" if alarm.get("Region") else ""
    text = f"{state}: {link(alarm['AlarmName'], alarm_url(alarm))}{where}"
    trigger = obj(alarm.get("Trigger"))
    fields = [field("State", f"{alarm.get('OldStateValue') or '?'} → {state}")]
    if trigger.get("MetricName"):
        metric = f"{trigger.get('Namespace')} {trigger['MetricName']}" if trigger.get("Namespace") else trigger["MetricName"]
        fields.append(field("Metric", metric))
    if alarm.get("AWSAccountId"):
        fields.append(field("Account", alarm["AWSAccountId"]))
    attachment = {"color": ALARM_STATES.get(state, YELLOW), "title": alarm["AlarmName"],
                  "title_link": alarm_url(alarm), "fields": fields,
                  "text": shorten(alarm.get("NewStateReason") or alarm.get("AlarmDescription"), MAX_MESSAGE)}
    return message(text, attachment)


def parsed(text):
    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        return None
    return value if isinstance(value, dict) else None


def notification(body, request=None):
    content = parsed(body["Message"])
    if content and content.get("AlarmName") and "NewStateValue" in content:
        return cloudwatch_alarm(body, content)
    subject = body.get("Subject")
    text = f"{subject} ({topic(body)})" if subject else f"Message on Amazon SNS topic {topic(body)}"
    return message(text, {"color": BLUE, "text": shorten(body["Message"], MAX_MESSAGE)})


def unsubscribed(body, request=None):
    again = http_url(body.get("SubscribeURL"))
    text = f"Unsubscribed from Amazon SNS topic {topic(body)}"
    if again:
        text = f"{text} ({link('subscribe again', again)})"
    return message(text, {"color": GREY, "title": body["TopicArn"]})


EVENTS = {
    "SubscriptionConfirmation": confirm,
    "Notification": notification,
    "UnsubscribeConfirmation": unsubscribed,
}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, header=EVENT_HEADER, field="Type", needs=NEEDS, service="Amazon SNS")
