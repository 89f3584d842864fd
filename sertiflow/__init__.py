"""sertiflow's composition root: settings from the environment, wiring, and the ``sertiflow`` CLI.

This package is the only place that reads the environment and ties ``workflow`` (the domain),
``documents`` and ``workers`` together for a user at a terminal.
"""

__all__: list[str] = []
