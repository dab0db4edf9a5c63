"""A full garbage collection's pause with N integrations loaded, before and after ``Hub.settle_heap``.

Python's collector walks every tracked object on a full (generation 2)
collection, which runs when enough objects have survived, so at some request.
With thousands of integrations the configuration alone is hundreds of thousands
of objects. ``hookhub serve`` freezes what start-up left (``gc.freeze()``, again
after each reload); this prints the objects and the pause of one full collection
before and after, in a hub started as ``hookhub serve`` starts it:

    .venv/bin/python bench/gc_pause.py                     # 10,000 integrations
    .venv/bin/python bench/gc_pause.py --integrations 1000
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path[0] = str(HERE.parent)  # bench/profile.py would shadow the standard library's profile

import argparse  # noqa: E402
import asyncio  # noqa: E402
import gc  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from bench import deployment  # noqa: E402
from bench.scenarios import SCALING_INTEGRATION  # noqa: E402


def _pause_ms() -> float:
    began = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - began) * 1e3


async def measure(integrations: int) -> dict[str, float]:
    """Tracked objects and full-collection pauses (ms) of a started hub, without and with the freeze."""
    from hookhub.config import load_config
    from hookhub.hub import Hub

    with tempfile.TemporaryDirectory(prefix="hookhub-gc-") as scratch:
        entries = {f"i{i}": dict(SCALING_INTEGRATION) for i in range(integrations)}
        path, _ = deployment.write(Path(scratch), "gc", entries, port=1)
        hub = Hub(load_config(path))
        await hub.start()
        try:
            tracked = len(gc.get_objects())
            before = min(_pause_ms() for _ in range(3))
            hub.freeze_heap = True
            began = time.perf_counter()
            hub.settle_heap()
            settle = (time.perf_counter() - began) * 1e3
            frozen = gc.get_freeze_count()
            after = min(_pause_ms() for _ in range(3))
        finally:
            gc.unfreeze()
            await hub.stop()
    return {"tracked": tracked, "frozen": frozen, "pause_ms": before, "settle_ms": settle, "frozen_pause_ms": after}


def main(argv: list[str] | None = None) -> int:
    """Print one table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--integrations", type=int, default=10_000)
    args = parser.parse_args(argv)
    row = asyncio.run(measure(args.integrations))
    print(f"| integrations | tracked objects | full collection, ms | settle_heap (once), ms | frozen objects | "
          "full collection after, ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.integrations:,} | {row['tracked']:,.0f} | {row['pause_ms']:.1f} | {row['settle_ms']:.1f} | "
          f"{row['frozen']:,.0f} | {row['frozen_pause_ms']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
