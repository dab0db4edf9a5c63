# GitHub push → chat message listing the commits (benchmark scenario "github").
class Script:
    SHOWN = 10

    def process_incoming_request(self, request):
        event = request["headers"].get("x-github-event")
        body = request["content"]
        if event != "push":
            return {"content": {"text": f"unsupported GitHub event {event!r}"}}
        repo = body.get("repository") or {}
        pusher = (body.get("pusher") or {}).get("name") or "someone"
        branch = (body.get("ref") or "").rsplit("/", 1)[-1]
        commits = body.get("commits") or []
        files = 0
        authors = set()
        lines = []
        for commit in commits:
            files += len(commit.get("added") or ()) + len(commit.get("modified") or ()) + len(commit.get("removed") or ())
            authors.add((commit.get("author") or {}).get("name") or "unknown")
            if len(lines) < self.SHOWN:
                title = (commit.get("message") or "").split("\n", 1)[0]
                lines.append(f"[`{commit['id'][:7]}`]({commit['url']}) {title}")
        if len(commits) > self.SHOWN:
            lines.append(f"... and {len(commits) - self.SHOWN} more")
        return {
            "content": {
                "text": f"{pusher} pushed {len(commits)} commit(s) to {repo.get('full_name')}:{branch}",
                "attachments": [{
                    "title": f"{len(commits)} new commit(s) on {branch}",
                    "title_link": body.get("compare") or repo.get("html_url"),
                    "text": "\n".join(lines),
                    "color": "#24292e",
                    "fields": [
                        {"title": "Files changed", "value": str(files), "short": True},
                        {"title": "Authors", "value": ", ".join(sorted(authors)), "short": True},
                    ],
                }],
            }
        }
