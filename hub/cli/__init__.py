"""The ``icomm`` command line."""

from __future__ import annotations

import logging

import typer

from hub.cli import (
    cases,
    cen,
    deadletters,
    demo,
    extraction,
    groups,
    keys,
    mailcmd,
    parties,
    records,
    reference,
    schemas,
    serve,
    sharing,
    status,
    users,
)

app = typer.Typer(
    name="icomm",
    help="ncen-icomm: the National Customs Enforcement Network's message hub.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
app.command("status")(status.status)
app.add_typer(keys.app, name="keys")
app.add_typer(schemas.app, name="schemas")
app.add_typer(users.app, name="users")
app.add_typer(groups.app, name="groups")
app.add_typer(mailcmd.app, name="mail")
app.add_typer(records.quarantine, name="quarantine")
app.add_typer(records.envelopes, name="envelopes")
app.add_typer(deadletters.app, name="dead-letters")
app.add_typer(reference.app, name="reference")
app.add_typer(cen.app, name="cen")
cases.cases_app.command("share")(sharing.share)
app.add_typer(cases.cases_app, name="cases")
app.command("export")(extraction.export_command)
app.command("import")(extraction.import_command)
app.add_typer(parties.suspects_app, name="suspects")
app.add_typer(parties.companies_app, name="companies")


def main() -> None:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app()
