"""Pieces of a webhook, each timed alone: µs per call, the best of ``--rounds``.

The pieces of a `noscript` webhook, and two that the sandboxed scenarios add
(the 70 KB push parsed, a script's result checked at the boundary).

``bench/hotpath.py --cut`` splits a webhook's cost by stage; this says what the
named functions inside the stages cost on their own, on the scenario's real
body and a real hub (SQLite store, logging as ``hookhub serve`` sets it up, the
access log written to /dev/null):

    .venv/bin/python bench/stages.py
    .venv/bin/python bench/stages.py --calls 50000 --rounds 7
    .venv/bin/python bench/icount.py -- .venv/bin/python bench/stages.py --only access --rounds 1 --calls {n}

Numbers that the rest of the request does not show (caches warm, no other
request in between): use them to see which piece a change moved, and the
hot-path figures for what the whole request gained.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path[0] = str(HERE.parent)  # bench/profile.py would shadow the standard library's profile

import argparse  # noqa: E402
import asyncio  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from bench import deployment  # noqa: E402
from bench.scenarios import all_scenarios  # noqa: E402


#: what bench/scripts/alert.py returns for the `python` scenario's body (three alerts)
ALERT_RESULT = {"content": {
    "text": "HighLatency is firing on 3 target(s), severity page",
    "attachments": [{"title": "[FIRING:3] HighLatency", "title_link": "http://alertmanager:9093",
                     "text": "p99 latency above 2 s", "color": "#d62728",
                     "fields": [{"title": f"web-{i}", "value": "p99 over 2 s for 10 minutes", "short": True}
                                for i in range(3)]}]}}


def _best(fn: Callable[[], Any], calls: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - began) / calls * 1e6)
    return best


async def measure(calls: int, rounds: int, only: str = "") -> dict[str, float]:
    """µs per call of each piece, by name."""
    from hookhub import jsontext
    from hookhub.bodies import loads_untrusted, parse_body
    from hookhub.engines.boundary import checked_json_result
    from hookhub.config import load_config
    from hookhub.hub import Hub
    from hookhub.logs import config_secrets, configure
    from hookhub.message import build_messages
    from hookhub.pipeline import incoming, posting, processing
    from hookhub.pipeline.inbound import Inbound, history_request, secret_headers
    from hookhub.web.accesslog import AccessLog

    scenario = all_scenarios()["noscript"]
    with tempfile.TemporaryDirectory(prefix="hookhub-stages-") as scratch, open("/dev/null", "w") as null:
        config_path, hooks = deployment.write(Path(scratch), "noscript", {"noscript": scenario.integration}, port=1)
        config = load_config(config_path)
        configure("info", config.server.log_format, config_secrets(config), stream=null)
        hub = Hub(config)
        await hub.start()
        try:
            integ = hub.registry.integrations["noscript"]
            body = scenario.body.read_bytes()
            path = hooks["noscript"].path
            token = path.rsplit("/", 1)[-1]
            headers = {"content-type": "application/json", "content-length": str(len(body)),
                       "host": "127.0.0.1", "user-agent": "bench"}
            inbound = Inbound("noscript", token, "POST", path, "", headers, body, headers_lower=True)
            parsed = parse_body(body, "application/json")
            outcome = processing.deliver(hub, integ, parsed.content, None, None)
            outcome.raw = parsed.raw
            secret = secret_headers(integ)
            push = all_scenarios()["github"].body.read_text()
            alert_result = ALERT_RESULT
            access = AccessLog(hub)
            pieces: dict[str, Callable[[], Any]] = {
                "registry.lookup (token compared)": lambda: hub.registry.lookup("noscript", token),
                "parse_body (JSON, 1.3 KB)": lambda: parse_body(body, "application/json"),
                "build_messages": lambda: build_messages(parsed.content, integ.config, hub.registry, warnings=[]),
                "processing.deliver (build, stamp, answer)": lambda: processing.deliver(hub, integ, parsed.content,
                                                                                        None, None),
                "history_request": lambda: history_request(inbound, parsed.raw, secret),
                "incoming_post(...).op() (the write operation)": lambda: incoming.incoming_post(
                    integ, inbound, outcome, 0.0, "request-id").op(),
                "posting.announce (hookhub_message_posted)": lambda: posting.announce(hub, outcome.drafts, integ.id),
                "access-log line (formatted, queued)": lambda: access.line("POST", path, 200, 0.002),
                "metrics.webhook": lambda: hub.metrics.webhook("noscript", 200, 0.002),
                "jsontext.dumps(message doc)": lambda: jsontext.dumps(outcome.drafts[0].doc),
                # the pieces the sandboxed scenarios add: the 70 KB push parsed, a script's result checked
                "loads_untrusted (`github`'s 70 KB push)": lambda: loads_untrusted(push),
                "checked_json_result (the `python` script's result)": lambda: checked_json_result(alert_result,
                                                                                                  1 << 20),
            }
            return {name: _best(fn, calls, rounds) for name, fn in pieces.items() if only in name}
        finally:
            await hub.stop()


def main(argv: list[str] | None = None) -> int:
    """Print one table row per piece."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="", help="only the pieces whose name contains this text "
                        "(with bench/icount.py: --calls {n} --rounds 1 --only access)")
    args = parser.parse_args(argv)
    results = asyncio.run(measure(args.calls, args.rounds, args.only))
    print(f"| piece of a webhook | µs per call (best of {args.rounds}) |")
    print("|---|---:|")
    for name, us in results.items():
        print(f"| {name} | {us:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
