"""Fixture tests for the Netlify script: one per fixture, exact messages."""


def test_error__build_script_failed(check):
    check("error__build_script_failed",
          text='Deploy of [objective-jepsen-35fbb2](https://objective-jepsen-35fbb2.netlify.com) failed',
          attachments=[{'color': '#a30200',
                        'title': 'objective-jepsen-35fbb2 (production)',
                        'title_link': 'https://5b78192ac9659217dbf7c9aa--objective-jepsen-35fbb2.netlify.com',
                        'fields': [{'title': 'Context', 'value': 'production', 'short': True},
                                   {'title': 'Branch', 'value': 'master', 'short': True},
                                   {'title': 'Logs',
                                    'value': '[Deploy '
                                             'log](https://app.netlify.com/sites/objective-jepsen-35fbb2/deploys/5b64d77c02ed83730664c2f6)',
                                    'short': True}],
                        'text': "failed during stage 'building site': Build script returned non-zero exit "
                                'code: 127'}])


def test_ready__production(check):
    check("ready__production",
          text='Deploy of [objective-jepsen-35fbb2](https://objective-jepsen-35fbb2.netlify.com) succeeded',
          attachments=[{'color': '#2eb886',
                        'title': 'objective-jepsen-35fbb2 (production)',
                        'title_link': 'https://5b78192ac9659217dbf7c9aa--objective-jepsen-35fbb2.netlify.com',
                        'fields': [{'title': 'Context', 'value': 'production', 'short': True},
                                   {'title': 'Branch', 'value': 'master', 'short': True},
                                   {'title': 'Deploy time', 'value': '3 s', 'short': True}]}])



def test_building(check):
    check("ready__production", change={"state": "building", "deploy_time": None},
          text="Deploy of [objective-jepsen-35fbb2](https://objective-jepsen-35fbb2.netlify.com) started")


def test_locked(check):
    check("ready__production", change={"locked": True},
          text="Deploys of [objective-jepsen-35fbb2](https://objective-jepsen-35fbb2.netlify.com) were locked")


def test_intermediate_state_is_not_posted(check):
    check("ready__production", change={"state": "uploading"}, expect_unsupported=True)


def test_missing_site_name(check):
    check("ready__production", drop=["name"], status=400, error="Netlify 'ready' payload is missing 'name'")
