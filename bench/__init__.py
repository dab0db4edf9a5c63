"""hookhub's benchmark suite: hookhub side by side with a bare Starlette endpoint.

Run it with ``make bench`` (or ``python bench/run.py --help``).  Nothing here is
imported by the package or run as a timed test.
"""
