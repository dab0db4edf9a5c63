"""The incoming webhook flow, stage by stage (DESIGN "Pieces and how data flows").

A webhook goes through three stages, each a module of this package:

* :mod:`.admission` — is it processed at all: lookup by id and token, rate
  limit, quarantine, signature (``verify:``), de-duplication by delivery id
  (a claim in the database, exact across nodes);
* :mod:`.processing` — the script's run and the messages it asks for; touches
  no store (``hookhub test`` and the dry-run replay use it alone);
* :mod:`.posting` — stamp → rows → commit → announce, the one commit sequence
  every posted message goes through (incoming, REST API, outgoing replies).

:mod:`.incoming` strings them together (:func:`receive`); :mod:`.inbound`
holds the plain data passed along (:class:`Inbound`, :class:`Outcome`).
"""

from __future__ import annotations

from .inbound import Inbound, Outcome
from .incoming import commit, receive, record
from .processing import js_truthy, process

__all__ = ["Inbound", "Outcome", "commit", "js_truthy", "process", "receive", "record"]
