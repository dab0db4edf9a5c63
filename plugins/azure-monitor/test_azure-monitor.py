"""Fixture tests for the Azure Monitor script: one per fixture, exact messages."""


def test_resolved__metric_alert(check):
    check("resolved__metric_alert",
          text='Azure alert WCUS-R2-Gen2 resolved on wcus-r2-gen2',
          attachments=[{'color': '#2eb886',
                        'title': 'WCUS-R2-Gen2',
                        'fields': [{'title': 'Severity', 'value': 'Sev3', 'short': True},
                                   {'title': 'Signal', 'value': 'Metric', 'short': True},
                                   {'title': 'Service', 'value': 'Platform', 'short': True}],
                        'text': 'Percentage CPU Average GreaterThan 25 (value 7.727)'}])



def test_fired_sev1_is_red(check):
    outcome = check("resolved__metric_alert",
                    change={"data.essentials.monitorCondition": "Fired", "data.essentials.severity": "Sev1"},
                    text="Azure alert WCUS-R2-Gen2 fired on wcus-r2-gen2")
    assert outcome.drafts[0].doc["attachments"][0]["color"] == "#a30200"


def test_other_schema_is_refused(check):
    check("resolved__metric_alert", change={"schemaId": "AzureMonitorMetricAlert"}, status=400,
          error=("not a Azure Monitor webhook payload: cannot tell which event it is "
                 "(expected the common alert schema (schemaId azureMonitorCommonAlertSchema))"))


def test_unknown_condition_is_not_supported(check):
    check("resolved__metric_alert", change={"data.essentials.monitorCondition": "Acknowledged"},
          expect_unsupported=True)


def test_missing_rule(check):
    check("resolved__metric_alert", drop=["data.essentials.alertRule"], status=400,
          error="Azure Monitor 'Resolved' payload is missing 'data.essentials.alertRule'")
