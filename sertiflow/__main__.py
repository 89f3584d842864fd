"""``python -m sertiflow``: the same as the ``sertiflow`` command."""

from sertiflow.cli import run

run()
