"""Fixture tests for the Docker Hub script: one per fixture, exact messages."""


def test_push__latest(check):
    check("push__latest",
          text=('trustedbuilder pushed '
                '[svendowideit/testhook:latest](https://registry.hub.docker.com/u/svendowideit/testhook/)'),
          attachments=[{'color': '#439fe0',
                        'title': 'svendowideit/testhook:latest',
                        'title_link': 'https://registry.hub.docker.com/u/svendowideit/testhook/',
                        'fields': [{'title': 'Tag', 'value': 'latest', 'short': True},
                                   {'title': 'Visibility', 'value': 'private', 'short': True}]}])



def test_not_a_docker_hub_push(check):
    check({"repository": {"repo_name": "a/b"}}, status=400,
          error=("not a Docker Hub webhook payload: cannot tell which event it is "
                 "(expected 'push_data' and 'repository')"))


def test_missing_tag(check):
    check("push__latest", drop=["push_data.tag"], status=400,
          error="Docker Hub 'push' payload is missing 'push_data.tag'")
