"""Onward delivery shared by outgoing integrations and bridges.

* :mod:`.queue` — the ``deliveries`` table operations: enqueue, claim with a lease, finish, prune;
* :mod:`.outbox` — :class:`~.outbox.Outbox`, the loop that claims due deliveries and runs them, with
  retries, lease renewal and the clean-stop marker (one per kind: ``outgoing``, ``bridge``);
* :mod:`.http` — the HTTP client: egress policy, TLS, response size cap, ``Retry-After``;
* :mod:`.retry` — the retry strategies (Rocket.Chat's) and which answers are retried.

It imports neither :mod:`hookhub.outgoing` nor :mod:`hookhub.bridges`: both build on it.
"""
