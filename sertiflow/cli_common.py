"""What every ``sertiflow`` command shares: settings, output mode, error reporting."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, ParamSpec, TypeVar

import click

from sertiflow.output import print_json, say_error

if TYPE_CHECKING:  # the engine and SQLAlchemy load with the first command that needs them
    from sertiflow.runtime import Runtime
    from workflow.settings import Settings

__all__ = [
    "ROW_ID",
    "State",
    "accept_json",
    "acting_option",
    "fail",
    "pass_state",
    "reports_errors",
]

ROW_ID = click.IntRange(1, 2**63 - 1)
"""An application, outbox row or version number: what both databases can store."""


def acting_option(who: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The ``--as USER`` every write names: who acts, checked against the same rules the web
    app enforces, and recorded; ``who`` says who may."""
    return click.option("--as", "acting", required=True, metavar="USER", help=f"Who acts: {who}.")


P = ParamSpec("P")
R = TypeVar("R")


class State:
    """What every command shares: the settings and the output mode."""

    def __init__(self, settings: Settings, as_json: bool) -> None:
        self.settings = settings
        self.as_json = as_json
        self._runtime: Runtime | None = None

    def runtime(self) -> Runtime:
        """The wired system (built on first use, checking the schema)."""
        if self._runtime is None:
            from sertiflow.runtime import Runtime

            self._runtime = Runtime.build(self.settings)
        return self._runtime


def fail(as_json: bool, code: str, message: str) -> NoReturn:
    """Report an error the sertiflow way (also as a JSON document under --json) and exit 1."""
    if as_json:
        print_json({"error": {"code": code, "message": message}})
    say_error(message)
    sys.exit(1)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn domain errors into one line and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from sqlalchemy.exc import SQLAlchemyError

        from workflow.errors import SertiflowError
        from workflow.settings import SettingsError

        state = click.get_current_context().find_object(State)
        as_json = state is not None and state.as_json
        try:
            return command(*args, **kwargs)
        except SertiflowError as error:
            fail(as_json, error.code, str(error))
        except SettingsError as error:
            fail(as_json, "invalid_input", str(error))
        except SQLAlchemyError as error:
            reason = getattr(error, "orig", None) or error
            fail(as_json, "database_error", f"database error: {reason}")
        except OSError as error:  # a file to write or read: say which and why, no traceback
            where = f" {error.filename}" if error.filename else ""
            fail(as_json, "file_error", f"cannot use{where}: {error.strerror or error}")

    return wrapper


pass_state = click.make_pass_decorator(State)


def _json_requested(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    state = ctx.find_object(State)
    if value and state is not None:
        state.as_json = True


def accept_json(command: click.Command) -> click.Command:
    """Let ``command`` and every command under it take ``--json`` after its name too
    (``sertiflow app list --json``), as people type it; the group's own ``--json`` stays.
    Idempotent."""
    if not any(param.name == "json" for param in command.params):
        command.params.append(
            click.Option(
                ["--json"],
                is_flag=True,
                expose_value=False,
                callback=_json_requested,
                help="Print JSON instead of tables (also accepted before the command).",
            )
        )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            accept_json(sub)
    return command
