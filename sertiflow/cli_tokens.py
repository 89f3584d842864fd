"""``sertiflow user token``, ``user tokens`` and ``user revoke-token``: the JSON API's bearer
tokens of a user.

They belong to the ``user`` group (``sertiflow.cli_apps``, with ``passwd`` from
``sertiflow.cli_web``); ``cli.LAZY_COMMANDS`` loads the group from here, which adds these
commands to it. A token is printed once, when it is issued: only its hash is stored.
"""

from __future__ import annotations

import click

from sertiflow.cli_common import State, acting_option, pass_state, reports_errors
from sertiflow.cli_web import user
from sertiflow.output import print_json, say

__all__ = ["user", "user_revoke_token", "user_token", "user_tokens"]


@user.command(name="token")
@click.argument("username")
@click.option("--label", default="", help="What the token is for (a script, a machine).")
@acting_option("an admin")
@pass_state
@reports_errors
def user_token(state: State, username: str, label: str, acting: str) -> None:
    """Issue an API token for USERNAME and print it, once: keep it, it is not stored.
    Journalled with the token's id."""
    from workflow.api_tokens import issue_token

    runtime = state.runtime()
    issued = issue_token(
        runtime.db, username, label=label, acting=acting, now=runtime.workflow.clock()
    )
    if state.as_json:
        print_json(
            {
                "username": username,
                "token_id": issued.token_id,
                "label": issued.label,
                "token": issued.token,
            }
        )
    else:
        say(f"API token {issued.token_id} for {username} (shown once, keep it):")
        click.echo(issued.token)


@user.command(name="tokens")
@click.argument("username")
@pass_state
@reports_errors
def user_tokens(state: State, username: str) -> None:
    """USERNAME's API tokens (their ids, never the tokens), newest first."""
    from workflow.api_tokens import tokens_of

    found = tokens_of(state.runtime().db, username)
    if state.as_json:
        print_json(
            [
                {
                    "token_id": t.token_id,
                    "label": t.label,
                    "created_at": t.created_at,
                    "last_used_at": t.last_used_at,
                    "revoked_at": t.revoked_at,
                }
                for t in found
            ]
        )
        return
    if not found:
        say(f"{username} has no API token")
    for t in found:
        status = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "live"
        used = f"last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
        say(f"{t.token_id}  {status}, {used}  {t.label}")


@user.command(name="revoke-token")
@click.argument("username")
@click.option("--id", "token_id", default=None, help="The token's id ('sertiflow user tokens').")
@click.option("--all", "every", is_flag=True, help="Every live token of USERNAME.")
@acting_option("the user themself or an admin")
@pass_state
@reports_errors
def user_revoke_token(
    state: State, username: str, token_id: str | None, every: bool, acting: str
) -> None:
    """Revoke one of USERNAME's API tokens (--id), or all of them (--all). Journalled."""
    from workflow.api_tokens import revoke_tokens
    from workflow.errors import InvalidInput

    if every == (token_id is not None):
        raise InvalidInput("name one token (--id ID) or all of them (--all)")
    runtime = state.runtime()
    revoked = revoke_tokens(
        runtime.db,
        username,
        token_id=None if every else token_id,
        acting=acting,
        now=runtime.workflow.clock(),
    )
    if state.as_json:
        print_json({"username": username, "revoked": revoked})
    else:
        say(f"revoked {len(revoked)} API token(s) of {username}: {', '.join(revoked) or '-'}")
