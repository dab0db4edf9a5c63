"""Fixture tests for the Jenkins script: one per fixture, exact messages."""


def test_completed__success(check):
    check("completed__success",
          text='Build [asgard #18](http://localhost:8080/job/asgard/18/) succeeded',
          attachments=[{'color': '#2eb886',
                        'title': 'asgard #18',
                        'title_link': 'http://localhost:8080/job/asgard/18/',
                        'fields': []}])



def test_failed_build_shows_the_log(check):
    outcome = check("completed__success", change={"build.status": "FAILURE", "build.log": "npm ERR! test failed"},
                    text="Build [asgard #18](http://localhost:8080/job/asgard/18/) failed")
    assert outcome.drafts[0].doc["attachments"][0]["text"] == "npm ERR! test failed"


def test_started_with_scm(check):
    check("completed__success",
          change={"build.phase": "STARTED", "build.scm": {"branch": "origin/master", "commit": "c6d86dc654b1"}},
          text="Build [asgard #18](http://localhost:8080/job/asgard/18/) started",
          attachments=[{"color": "#daa038", "title": "asgard #18", "title_link": "http://localhost:8080/job/asgard/18/",
                        "fields": [{"title": "Branch", "value": "origin/master", "short": True},
                                   {"title": "Commit", "value": "c6d86dc", "short": True}]}])


def test_finalized_repeats_completed_and_posts_nothing(check):
    check("completed__success", change={"build.phase": "FINALIZED"}, expect_unsupported=True)


def test_missing_build_number(check):
    check("completed__success", drop=["build.number"], status=400,
          error="Jenkins 'COMPLETED' payload is missing 'build.number'")
