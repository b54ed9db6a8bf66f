"""`easymo profile list|show|add|use|remove`."""

from __future__ import annotations

import contextlib

import click

from easymo_core.audit import record_profile_removed, record_profile_saved
from easymo_core.cli.audit_cmd import audit_note
from easymo_core.cli.context import emit_json, print_table, state
from easymo_core.config import SANDBOX, Profile
from easymo_core.config.db_login import inline_password, login_name
from easymo_core.config.profile import DEFAULT_GRAPH_URL, DEFAULT_GRAPH_VERSION, FALLBACK_RULES
from easymo_core.secrets import has_secret
from easymo_core.storage.engine import safe_url


@click.group()
def profile() -> None:
    """Profiles: which number, which Graph API, which database."""


def _describe(p: Profile, active: str) -> dict[str, object]:
    return {
        "name": p.name,
        "active": p.name == active,
        "kind": p.kind,
        "graph_url": p.graph_url,
        "graph_version": p.graph_version,
        "phone_number_id": p.phone_number_id,
        "waba_id": p.waba_id,
        "app_id": p.app_id,
        # The URL may carry a PostgreSQL password: never print it.
        "db_url": safe_url(p.db_url) if p.db_url else "",
        "messages_per_second": p.messages_per_second,
        "fallbacks": list(p.fallbacks),
        "webhook_body_retention_days": p.webhook_body_retention_days,
    }


@profile.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_(as_json: bool) -> None:
    """List profiles; the active one is marked with '*'."""
    store = state().store
    active = store.active_name()
    profiles = store.all()
    if as_json:
        emit_json([_describe(p, active) for p in profiles])
        return
    rows = [
        ["*" if p.name == active else "", p.name, p.kind, p.phone_number_id, p.graph_url] for p in profiles
    ]
    print_table(["", "name", "kind", "phone-number id", "graph url"], rows)


@profile.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def show(name: str | None, as_json: bool) -> None:
    """Show a profile (default: the one in force, with environment overrides applied)."""
    st = state()
    p = st.store.get(name) if name else st.profile()
    info = _describe(p, st.store.active_name())
    info["access_token"] = "set" if has_secret(p, "token") else "missing"
    info["app_secret"] = "set" if has_secret(p, "app-secret") else "missing"
    if login_name(p.db_url):
        info["db_login"] = login_name(p.db_url)
        info["db_password"] = (f"in the URL (move it: `easymo profile edit {p.name} --password-to-keyring`)"
                               if inline_password(p.db_url)
                               else "set" if has_secret(p, "db-password") else "missing")
    if as_json:
        emit_json(info)
        return
    width = max(len(k) for k in info)
    for key, value in info.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        click.echo(f"{key.ljust(width)}  {shown}")


@profile.command()
@click.argument("name")
@click.option("--graph-url", default=DEFAULT_GRAPH_URL, show_default=True)
@click.option("--graph-version", default=DEFAULT_GRAPH_VERSION, show_default=True)
@click.option("--phone-number-id", required=True, help="From WhatsApp Manager > API Setup.")
@click.option("--waba-id", required=True, help="WhatsApp Business Account id.")
@click.option("--app-id", default="",
              help="Meta app id (App Dashboard): needed to upload template media samples.")
@click.option("--db-url", "profile_db_url", required=True, help="postgresql://... or sqlite:///PATH")
@click.option("--verify-token", default="", help="Webhook verify token you gave Meta.")
@click.option("--messages-per-second", type=float, default=80.0, show_default=True)
@click.option(
    "--fallback",
    "fallbacks",
    multiple=True,
    type=click.Choice(FALLBACK_RULES),
    help="Fallback rules in order (repeat). Default: all, in this order.",
)
@click.option("--webhook-retention-days", type=click.IntRange(min=0), default=30, show_default=True,
              help="Days raw webhook bodies (customers' texts) are kept once ingested; 0 keeps them.")
@click.option("--use", "make_active", is_flag=True, help="Make it the active profile.")
@click.option("--replace", is_flag=True, help="Overwrite an existing profile of that name.")
@click.option("--password-to-keyring", "move_password", is_flag=True,
              help="A password written in --db-url goes to the OS keyring, not the profile file.")
def add(
    name: str,
    graph_url: str,
    graph_version: str,
    phone_number_id: str,
    waba_id: str,
    app_id: str,
    profile_db_url: str,
    verify_token: str,
    messages_per_second: float,
    fallbacks: tuple[str, ...],
    webhook_retention_days: int,
    make_active: bool,
    replace: bool,
    move_password: bool,
) -> None:
    """Add a real profile. Store its secrets with `easymo secrets set`."""
    from easymo_core.errors import ConfigError
    from easymo_core.storage.engine import parse_url

    store = state().store
    existed = name in store.names()
    if name == SANDBOX:
        raise ConfigError("'sandbox' is the built-in profile", hint="choose another name")
    if existed and not replace:
        raise ConfigError(f"profile {name!r} exists", hint="pass --replace to overwrite it")
    parse_url(profile_db_url)  # refuse a malformed URL before writing anything
    profile_db_url, moved = _password_out_of_url(name, profile_db_url, move_password)
    p = Profile(
        name=name,
        kind="real",
        graph_url=graph_url.rstrip("/"),
        graph_version=graph_version,
        phone_number_id=phone_number_id,
        waba_id=waba_id,
        app_id=app_id,
        db_url=profile_db_url,
        verify_token=verify_token,
        messages_per_second=messages_per_second,
        fallbacks=fallbacks or FALLBACK_RULES,
        webhook_body_retention_days=webhook_retention_days,
    )
    if moved is not None:  # first: without a keyring the profile is not saved half-done
        from easymo_core.secrets import set_secret

        set_secret(name, "db-password", moved)
    store.save(p)
    audit_note("profile change", record_profile_saved(p, existed=existed,
                                                      secrets=["db-password"] if moved else []))
    if make_active:
        store.use(name)
    click.echo(f"profile {name!r} saved" + (" and active" if make_active else ""))
    if moved is not None:
        click.echo("the database password is in the OS keyring, not in the profile file")
    click.echo(f"next: easymo secrets set token --profile {name}")


@profile.command()
@click.argument("name")
@click.option("--db-url", "profile_db_url", default=None, metavar="URL",
              help="A new database URL (postgresql://LOGIN@HOST/DB or sqlite:///PATH).")
@click.option("--password-to-keyring", "move_password", is_flag=True,
              help="A password written in the database URL goes to the OS keyring.")
def edit(name: str, profile_db_url: str | None, move_password: bool) -> None:
    """Change a profile's database URL, or move a password written in it to the OS keyring."""
    from dataclasses import replace

    from easymo_core.errors import ConfigError
    from easymo_core.storage.engine import parse_url

    store = state().store
    p = store.get(name)
    if p.is_sandbox:
        raise ConfigError("the sandbox profile's database is fixed", hint="add a profile of your own")
    url = profile_db_url or p.db_url
    parse_url(url)
    url, moved = _password_out_of_url(name, url, move_password)
    if moved is not None:  # first: without a keyring the profile file is left as it was
        from easymo_core.secrets import set_secret

        set_secret(name, "db-password", moved)
    edited = replace(p, db_url=url)
    store.save(edited)
    audit_note("profile change", record_profile_saved(edited, existed=True,
                                                      secrets=["db-password"] if moved else []))
    click.echo(f"profile {name!r} saved")
    if moved is not None:
        click.echo("the database password is in the OS keyring, not in the profile file")


def _password_out_of_url(name: str, db_url: str, move: bool) -> tuple[str, str | None]:
    """(URL to save, password to store in the keyring or None). A URL that carries its
    password keeps working, but the password would sit in profiles.toml: say so, and move it
    when asked (--password-to-keyring, or yes at the prompt on a terminal)."""
    from easymo_core.cli.context import stdin_is_tty
    from easymo_core.config.db_login import inline_password, without_password

    password = inline_password(db_url)
    if password is None:
        return db_url, None
    if not move:
        click.echo(
            "warning: the database URL carries a password, which would be stored in the profile "
            "file; keep it in the OS keyring instead: pass --password-to-keyring (later: `easymo "
            f"profile edit {name} --password-to-keyring`), or save the URL without it and run "
            f"`easymo --profile {name} secrets set db-password`",
            err=True,
        )
        move = stdin_is_tty() and click.confirm("Move the password to the OS keyring now?", default=True)
    if not move:
        return db_url, None
    return without_password(db_url), password


@profile.command()
@click.argument("name")
def use(name: str) -> None:
    """Make NAME the active profile."""
    state().store.use(name)
    click.echo(f"active profile: {name}")


@profile.command()
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def remove(name: str, yes: bool) -> None:
    """Remove a profile and its secrets from the keyring (the database is untouched)."""
    from easymo_core.errors import SecretsError
    from easymo_core.secrets import delete_secrets

    store = state().store
    removed = store.get(name)  # unknown names fail before asking
    if not yes:
        click.confirm(f"Remove profile {name!r}?", abort=True)
    store.remove(name)
    # No keyring means no secrets were stored for it either.
    with contextlib.suppress(SecretsError):
        delete_secrets(name)
    audit_note("profile change", record_profile_removed(removed))
    click.echo(f"profile {name!r} removed")
