"""Fixture tests for the Vercel script: one per fixture, exact messages."""


def test_deployment_error__preview(check):
    check("deployment_error__preview",
          text=('[Deployment](https://vercel.com/rick-team/accordion-component/12yAAMp54JKe1XxonMYqW4oWtK5K) '
                'of [accordion-component](https://vercel.com/rick-team/accordion-component) failed'),
          attachments=[{'color': '#a30200',
                        'title': 'Update index.html',
                        'title_link': 'https://accordion-component-bkzjdsyk8-rick-team.vercel.app',
                        'fields': [{'title': 'Target', 'value': 'preview', 'short': True},
                                   {'title': 'Branch', 'value': 'test-webhook', 'short': True},
                                   {'title': 'Commit',
                                    'value': '[d298272](https://github.com/rickastley/accordion-component/commit/d298272f30b0ece055912eb50739ce5106c3d716)',
                                    'short': True},
                                   {'title': 'Author', 'value': 'rickastley', 'short': True}]}])


def test_deployment_succeeded__preview(check):
    check("deployment_succeeded__preview",
          text=('[Deployment](https://vercel.com/rick-team/accordion-component/12yAAMp54JKe1XxonMYqW4oWtK5K) '
                'of [accordion-component](https://vercel.com/rick-team/accordion-component) succeeded'),
          attachments=[{'color': '#2eb886',
                        'title': 'Update index.html',
                        'title_link': 'https://accordion-component-bkzjdsyk8-rick-team.vercel.app',
                        'fields': [{'title': 'Target', 'value': 'preview', 'short': True},
                                   {'title': 'Branch', 'value': 'test-webhook', 'short': True},
                                   {'title': 'Commit',
                                    'value': '[d298272](https://github.com/rickastley/accordion-component/commit/d298272f30b0ece055912eb50739ce5106c3d716)',
                                    'short': True},
                                   {'title': 'Author', 'value': 'rickastley', 'short': True}]}])



def test_promoted_to_production(check):
    outcome = check("deployment_succeeded__preview",
                    change={"type": "deployment.promoted", "payload.target": "production"},
                    text=("[Deployment](https://vercel.com/rick-team/accordion-component/12yAAMp54JKe1XxonMYqW4oWtK5K) of "
                          "[accordion-component](https://vercel.com/rick-team/accordion-component) was promoted "
                          "to production"))
    assert outcome.drafts[0].doc["attachments"][0]["fields"][0] == {"title": "Target", "value": "production",
                                                                    "short": True}


def test_ready_repeats_succeeded(check):
    check("deployment_succeeded__preview", change={"type": "deployment.ready"}, expect_unsupported=True)


def test_project_events_are_not_supported(check):
    check("deployment_succeeded__preview", change={"type": "project.created"}, expect_unsupported=True)


def test_missing_deployment(check):
    check("deployment_error__preview", drop=["payload.deployment"], status=400,
          error="Vercel 'deployment.error' payload is missing 'payload.deployment.id'")
