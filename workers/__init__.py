"""Celery app and tasks: render packets, send notifications, sweep deadlines, relay the outbox.

Contract: may import ``workflow`` and ``documents``; importing it connects to nothing. The tasks
arrive with the worker work; until then this package exports nothing.
"""

__all__: list[str] = []
