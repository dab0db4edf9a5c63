"""The baseline: a bare Starlette endpoint doing the minimum a webhook receiver does.

It parses the JSON body and answers ``{"success": true}`` on hookhub's URL shape, so
that the benchmark compares hookhub with the web framework it runs on, nothing more.
Served by uvicorn exactly like hookhub (``python -m uvicorn bench.bare_app:app``).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hook(request: Request) -> JSONResponse:
    await request.json()
    return JSONResponse({"success": True})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"success": True})


app = Starlette(routes=[
    Route("/hooks/{integration_id}/{token}", hook, methods=["POST"]),
    Route("/healthz", healthz, methods=["GET"]),
])
