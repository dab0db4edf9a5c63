"""Fixture tests for the Amazon SNS script: one per fixture, exact messages."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


def test_notification__cloudwatch_alarm(check):
    check("notification__cloudwatch_alarm",
          text='ALARM: api-1 - Network In in APAC - Tokyo',
          attachments=[{'color': '#a30200',
                        'title': 'api-1 - Network In',
                        'fields': [{'title': 'State', 'value': 'OK → ALARM', 'short': True},
                                   {'title': 'Metric', 'value': 'AWS/EC2 NetworkIn', 'short': True},
                                   {'title': 'Account', 'value': '863886017929', 'short': True}],
                        'text': 'Threshold Crossed: 1 datapoint (2024818.75) was greater than or equal to '
                                'the threshold (2000000.0).'}])


def test_notification__hello_world(check):
    check("notification__hello_world",
          text='My First Message (MyTopic)',
          attachments=[{'color': '#439fe0', 'text': 'Hello world!'}])


def test_subscriptionconfirmation__my_topic(check):
    check("subscriptionconfirmation__my_topic",
          text=('Amazon SNS topic MyTopic wants to deliver here: [confirm the '
                'subscription](https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736)'),
          attachments=[{'color': '#daa038',
                        'title': 'arn:aws:sns:us-west-2:123456789012:MyTopic',
                        'text': 'Automatic confirmation failed: the integration allows no egress (add '
                                '*.amazonaws.com to http.allow_hosts)'}])


def test_unsubscribeconfirmation__my_topic(check):
    check("unsubscribeconfirmation__my_topic",
          text=('Unsubscribed from Amazon SNS topic MyTopic ([subscribe '
                'again](https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37fb687f5d51e6e241d09c805a5a57b30d712f7948a98bac386edfe3e10314e873973b3e0a3c09119b722dedf2b5e31c59b13edbb26417c19f109351e6f2169efa9085ffe97e10535f4179ac1a03590b0f541f209c190f9ae23219ed6c470453e06c19b5ba9fcbb27daeb7c7))'),
          attachments=[{'color': '#808080', 'title': 'arn:aws:sns:us-west-2:123456789012:MyTopic'}])



def test_cloudwatch_alarm_back_to_ok_links_the_console(check):
    alarm = {"AlarmName": "api-1 - Network In", "NewStateValue": "OK", "OldStateValue": "ALARM",
             "Region": "APAC - Tokyo", "NewStateReason": "Threshold Crossed: no datapoints were above the threshold",
             "AlarmArn": "arn:aws:cloudwatch:ap-northeast-1:863886017929:alarm:api-1 - Network In"}
    outcome = check("notification__cloudwatch_alarm", change={"Message": json.dumps(alarm)},
                    text=("OK: [api-1 - Network In](https://console.aws.amazon.com/cloudwatch/home?region="
                          "ap-northeast-1#alarmsV2:alarm/api-1 - Network In) in APAC - Tokyo"))
    assert outcome.drafts[0].doc["attachments"][0]["color"] == "#2eb886"


def test_message_without_subject(check):
    check("notification__hello_world", drop=["Subject"], text="Message on Amazon SNS topic MyTopic")


def test_type_from_the_body_when_the_header_is_missing(check):
    check("notification__hello_world", headers={"x-amz-sns-message-type": ""}, text="My First Message (MyTopic)")


def test_unknown_type_is_not_supported(check):
    check("notification__hello_world", event="Other", expect_unsupported=True)


def test_confirmation_without_subscribe_url(check):
    check("subscriptionconfirmation__my_topic", drop=["SubscribeURL"], status=400,
          error="Amazon SNS 'subscriptionconfirmation' payload is missing 'SubscribeURL'")


@pytest.fixture
def confirm_server():
    """A stand-in for sns.<region>.amazonaws.com: records the confirmation GET."""
    calls = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            calls.append(self.path)
            body = b"<ConfirmSubscriptionResponse/>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", calls
    server.shutdown()
    server.server_close()


def test_subscription_is_confirmed_when_egress_is_allowed(hookhub_runner, tmp_path, confirm_server):
    base, calls = confirm_server
    config = tmp_path / "hookhub.yaml"
    config.write_text(f"""
users: [{{username: rocket.cat}}]
channels: [{{name: dev}}]
integrations:
  - id: sns
    type: incoming
    token: sns-token
    channel: "#dev"
    username: rocket.cat
    script_file: {(Path(__file__).parent / "script.py").as_posix()}
    http: {{allow_hosts: ["127.0.0.1"], allow_private: true}}
""", encoding="utf-8")
    body = json.loads((Path(__file__).parent / "fixtures" / "subscriptionconfirmation__my_topic.json").read_text())
    body["SubscribeURL"] = f"{base}/?Action=ConfirmSubscription&Token=abc"
    outcome = hookhub_runner.run(None, body, headers={"x-amz-sns-message-type": "SubscriptionConfirmation"},
                                 config=config, integration="sns")
    assert outcome.status == 200, outcome.body
    assert calls == ["/?Action=ConfirmSubscription&Token=abc"]
    assert outcome.drafts[0].doc["text"] == "Subscribed to Amazon SNS topic MyTopic"
