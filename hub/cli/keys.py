"""``icomm keys``: the node's own keys and the partners' trust store."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from hub.cli.options import ConfigFile, DataDir, console, err_console, fail, settings_from
from hub.cli.session import with_node
from hub.config import NODE_ID, Settings
from keys import KeysError, NodeKeyring, TrustStore

app = typer.Typer(help="The node's keys and the partners' trust store.", no_args_is_help=True)

PassphraseChoice = Annotated[
    bool | None,
    typer.Option(
        "--passphrase/--no-passphrase",
        help="Prompt for a passphrase that encrypts the private keys, or store them "
        "unencrypted. Default: ICOMM_KEY_PASSPHRASE when set, else unencrypted.",
        show_default=False,
    ),
]
Private = Annotated[
    bool,
    typer.Option("--private", help="Export the PRIVATE keys too, for an offline backup."),
]
Partner = Annotated[
    bool,
    typer.Option("--partner", help="Revoke a partner's key in the trust store, not our own."),
]


@app.command()
def init(
    passphrase: PassphraseChoice = None,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Create the node's signing and encryption keys."""
    settings = settings_from(data_dir, config)
    secret = settings.passphrase
    if passphrase is True:
        secret = typer.prompt(
            "Passphrase for the private keys", hide_input=True, confirmation_prompt=True
        ).encode()
    elif passphrase is False:
        secret = None
    try:
        keyring = NodeKeyring.create(settings.key_dir, settings.node, secret)
    except KeysError as exc:
        raise fail(str(exc)) from exc
    console.print(f"created the keys of node [bold]{keyring.node}[/bold] in {settings.key_dir}")
    _print_kids(keyring)
    if secret is not None:
        console.print("the private keys are encrypted: set ICOMM_KEY_PASSPHRASE to unlock them")


@app.command()
def show(data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """List the node's keys and the partners' trusted keys."""
    settings = settings_from(data_dir, config)
    try:
        keyring = _keyring(settings)
        trusted = TrustStore.open(settings.trust_path).keys()
    except KeysError as exc:
        raise fail(str(exc)) from exc
    own = Table(title=f"keys of node {keyring.node}")
    for column in ("kid", "use", "status", "created"):
        own.add_column(column)
    for info in keyring.keys():
        own.add_row(info.kid, info.use, info.status, info.created)
    console.print(own)
    partners = Table(title="trusted partner keys")
    for column in ("node", "kid", "use", "status", "imported"):
        partners.add_column(column)
    for key in trusted:
        partners.add_row(key.node, key.kid, key.use, key.status, key.imported)
    console.print(partners if trusted else "no partner keys trusted yet: `icomm keys import`")


@app.command()
def export(private: Private = False, data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """Print the node's public JWKS (to send to partners) on standard output."""
    settings = settings_from(data_dir, config)
    try:
        keyring = _keyring(settings)
    except KeysError as exc:
        raise fail(str(exc)) from exc
    if private:
        err_console.print(
            "[bold red]warning:[/bold red] this JWKS contains PRIVATE keys: "
            "store it offline, encrypted, and never send it to anyone"
        )
        _print_json(keyring.private_jwks())
    else:
        _print_json(keyring.public_jwks())


@app.command("import")
def import_(
    node: Annotated[str, typer.Argument(help="The partner's node id, e.g. 'am' or 'wco'.")],
    file: Annotated[str, typer.Argument(help="The partner's public JWKS file, or - for stdin.")],
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Trust a partner node's public keys (its JWKS)."""
    settings = settings_from(data_dir, config)
    node = node.strip().lower()
    if not NODE_ID.match(node):
        raise fail(f"node id {node!r} is not an ISO 3166 alpha-2 code (like 'am') or 'wco'")
    jwks = _read_jwks(file)
    try:
        kids = TrustStore.open(settings.trust_path).import_jwks(node, jwks)
    except KeysError as exc:
        raise fail(str(exc)) from exc
    console.print(f"trusted {len(kids)} key(s) of node [bold]{node}[/bold]:")
    for kid in kids:
        console.print(f"  {kid}")


@app.command()
def rotate(data_dir: DataDir = None, config: ConfigFile = None) -> None:
    """Make new current keys; the old ones stay valid as 'previous' until retired."""
    settings = settings_from(data_dir, config)
    try:
        keyring = _keyring(settings)
        keyring.rotate()
    except KeysError as exc:
        raise fail(str(exc)) from exc
    console.print("new current keys:")
    _print_kids(keyring)
    partners = with_node(settings, lambda node: node.announce_keys())
    if partners:
        console.print(
            f"announced to {', '.join(partners)} (keys.announce, sent by the running hub); "
            "partners without a link to this node need `icomm keys export` passed on by hand."
        )
    else:
        console.print(
            "no partner in the trust store yet: nothing to announce. Give partners the new "
            "public keys with `icomm keys export`."
        )
    console.print(
        "Retire the previous keys with `icomm keys retire KID` once partners use the new ones."
    )


# A kid is base64url and may begin with "-": let such an argument through as the kid.
KID_ARGUMENT = {"ignore_unknown_options": True}


@app.command(context_settings=KID_ARGUMENT)
def retire(
    kid: Annotated[str, typer.Argument(help="The previous key to retire.")],
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Stop publishing a previous key and delete its private file."""
    settings = settings_from(data_dir, config)
    try:
        _keyring(settings).retire(kid)
    except KeysError as exc:
        raise fail(str(exc)) from exc
    console.print(f"retired key {kid}")


@app.command(context_settings=KID_ARGUMENT)
def revoke(
    kid: Annotated[str, typer.Argument(help="The key id to revoke.")],
    partner: Partner = False,
    data_dir: DataDir = None,
    config: ConfigFile = None,
) -> None:
    """Revoke one of our keys, or with --partner a partner's key we trusted."""
    settings = settings_from(data_dir, config)
    try:
        if partner:
            TrustStore.open(settings.trust_path).revoke(kid)
        else:
            _keyring(settings).revoke(kid)
    except KeysError as exc:
        raise fail(str(exc)) from exc
    whose = "partner key" if partner else "key"
    console.print(f"revoked {whose} {kid}: it is no longer trusted nor used")


def _keyring(settings: Settings) -> NodeKeyring:
    return NodeKeyring.load(settings.key_dir, settings.passphrase)


def _print_kids(keyring: NodeKeyring) -> None:
    console.print(f"  signing key    {keyring.signing_kid}")
    console.print(f"  encryption key {keyring.encryption_kid}")


def _print_json(value: Any) -> None:
    """JSON alone on standard output, so it can be piped or redirected to a file."""
    typer.echo(json.dumps(value, indent=2))


def _read_jwks(file: str) -> Any:
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror}") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise fail(f"{file} is not JSON: {exc}") from exc
