"""``icomm demo``: three nodes on the embedded default: a mail and its receipt, then a
seizure recorded, validated and sent, non-nominal, to the WCO's global CEN."""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel

from adapters.attached import attach
from hub.accounts import Role, generate_password
from hub.cli.options import console, fail
from hub.config import Settings, load_settings
from hub.node import Node
from keys import decrypt_envelope
from message_schemas import (
    Attachment,
    Commodity,
    Conveyance,
    Mail,
    PartyLink,
    Route,
    Seizure,
    Suspect,
)

NODES = ("ge", "am", "wco")
TIMEOUT = 30.0
ATTACHMENT = (
    b"case,date,office,commodity,quantity,unit\r\n"
    b"GE-2026-0042,2026-11-24,Sarpi,cigarettes,12000,pieces\r\n"
)


def _step(number: int, text: str) -> None:
    console.rule(f"[bold cyan]{number}. {text}")


async def _wait_for(what: str, check: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {TIMEOUT:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


async def _ensure_user(node: Node, username: str, display: str, role: Role = Role.OFFICER) -> None:
    if username not in {a.username for a in await node.accounts.list_users()}:
        await node.accounts.add(username, role, generate_password(), display)


def _demo_seizure(suspect_ref: str) -> Seizure:
    return Seizure(
        case_number=f"GE-DEMO-{datetime.now(UTC):%Y%m%d%H%M%S}",
        occurred_at=datetime.now(UTC) - timedelta(hours=20),
        office="GE-SARPI",
        place_kind="land",
        direction="import",
        commodities=[
            Commodity(
                category="tobacco",
                type="cigarettes",
                description="in the trailer's false floor, behind pallets of tiles",
                quantity=Decimal(12000),
                unit="sticks",
                value=Decimal(3600),
                currency="GEL",
            )
        ],
        detection_method="x_ray",
        concealment_method="vehicle_hidden_compartment",
        conveyance=Conveyance(mode="road", type="truck", identifier="TR 34 ABC 123"),
        route=Route(departure="TR", transit=["GE"], destination="AM"),
        suspects=[PartyLink(ref=suspect_ref, role="driver")],
        source_evaluation="B",
        information_evaluation="2",
        narrative="The driver said the load was ceramic tiles only.",
    )


async def _cen_steps(ge: Node, wco: Node) -> None:
    _step(6, "An officer records the seizure; an admin validates it")
    await _ensure_user(ge, "giorgi.admin", "Giorgi (administrator)", Role.ADMIN)
    national, global_cen = await attach(ge), await attach(wco)
    suspect = await national.store.add_party(
        "nino.beridze",
        Suspect(
            surname="ბერიძე",
            given_names="ლევან",
            nationality="GE",
            gender="male",
            date_of_birth=date(1979, 3, 14),
        ),
    )
    case = await national.store.create("nino.beridze", _demo_seizure(suspect.ref))
    await national.store.submit("nino.beridze", case.ref)
    validated = await national.store.validate("giorgi.admin", case.ref)
    console.print(
        f"  case {validated.seizure.case_number}: {validated.status}, revision {validated.revision}"
    )
    found = await national.store.search("suspect", name="levan beridze")
    console.print(f"  a search for 'levan beridze' finds {found[0].record.names[0]}")

    _step(7, "One click sends its non-nominal part to the WCO's global CEN")
    [sent] = await national.cen.transmit("giorgi.admin")
    intake = global_cen.intake
    if intake is None:
        raise RuntimeError("the wco node keeps no CEN feed")

    async def filed() -> bool:
        return any(row.message_id == sent.message_id for row in await intake.feed(1000))

    await _wait_for("the seizure to reach cen@wco", filed)
    [row] = [row for row in await intake.feed(1000) if row.message_id == sent.message_id]
    console.print(
        Panel(
            json.dumps(row.record, indent=2, ensure_ascii=False),
            title=f"cen@wco — feed record {row.seizure_ref}",
        )
    )
    console.print(
        "  the case number, the names, the plate, the narrative and the concealment "
        "description stayed in Georgia"
    )

    async def receipted() -> bool:
        return any(d.status != "pending" for d in await ge.mailbox.deliveries(sent.message_id))

    await _wait_for("the WCO's receipt", receipted)
    console.print("  the WCO node's signed receipt is back at ge")


async def run_demo(root: Path, base: Settings) -> None:
    nodes: dict[str, Node] = {}
    try:
        _step(1, "Three nodes start, each with its own keys")
        for node_id in NODES:
            settings = base.model_copy(
                update={
                    "node": node_id,
                    "data_dir": root / node_id,
                    "spool_dir": root / "spool",
                    "database_url": f"sqlite+aiosqlite:///{(root / node_id / 'icomm.db').resolve()}",
                }
            )
            nodes[node_id] = node = await Node(settings).open()
            console.print(
                f"  [bold]{node_id}[/bold]  signing key {node.keyring.signing_kid}\n"
                f"      encryption key {node.keyring.encryption_kid}  ({node.transport.name} transport)"
            )

        _step(2, "They exchange public keys (JWKS) into their trust stores")
        for node_id, node in nodes.items():
            for other_id, other in nodes.items():
                if other_id != node_id:
                    node.trust.import_jwks(other_id, other.keyring.public_jwks())
            console.print(f"  {node_id} trusts {', '.join(n for n in NODES if n != node_id)}")

        ge, am = nodes["ge"], nodes["am"]
        await _ensure_user(ge, "nino.beridze", "Nino Beridze")
        await _ensure_user(am, "armen.petrosyan", "Armen Petrosyan")
        for node in nodes.values():
            node.run()

        _step(3, "A Georgian officer mails an Armenian officer, with an attachment")
        mail = await ge.submit(
            Mail(
                sender="nino.beridze@ge",
                to=["armen.petrosyan@am"],
                subject="Cigarette seizure at Sarpi: same consignor?",
                body="Nino here. We seized 12,000 cigarettes at Sarpi yesterday; summary attached.",
                attachments=[Attachment.from_bytes("seizure-summary.csv", ATTACHMENT, "text/csv")],
            )
        )
        console.print(f"  message {mail.id} stored in nino.beridze's Sent and queued for node am")

        async def sent() -> bool:
            async with ge.db.transaction() as tx:
                return not await tx.outbox.backlog()

        await _wait_for("ge to seal and publish", sent)
        async with ge.db.transaction() as tx:
            [envelope] = [e async for e in tx.envelopes.stream() if mail.id in e.message_ids]
        header, items = decrypt_envelope(envelope.raw, am.keyring)
        console.print(
            f"  sealed as envelope {envelope.id}: {len(envelope.raw)} bytes of JWE (A256GCM, "
            f"ECDH-ES+A256KW to am's key), {len(items)} JWS signed by {header['skid']}"
        )

        _step(4, "Node am verifies, decrypts and delivers it")

        async def arrived() -> bool:
            return bool(await am.mailbox.folder("armen.petrosyan"))

        await _wait_for("the mail to reach armen.petrosyan@am", arrived)
        opened = await am.mailbox.open("armen.petrosyan", mail.id)
        received = opened.message
        if not isinstance(received, Mail):
            raise RuntimeError(f"expected a mail, got {received.type}")
        attachment = received.attachments[0]
        intact = attachment.content == ATTACHMENT
        console.print(
            Panel(
                f"From: {received.sender}\nTo: {', '.join(received.to)}\n"
                f"Subject: {received.subject}\n\n{received.body}\n\n"
                f"📎 {attachment.filename}, {attachment.size} bytes, sha256 {attachment.sha256[:16]}… "
                f"{'intact' if intact else 'DAMAGED'}",
                title="armen.petrosyan@am — inbox",
            )
        )
        if not intact:
            raise RuntimeError("the attachment did not arrive intact")

        _step(5, "A signed receipt returns to ge")

        async def receipted() -> bool:
            return any(d.status != "pending" for d in await ge.mailbox.deliveries(mail.id))

        await _wait_for("the receipt from am", receipted)
        for delivery in await ge.mailbox.deliveries(mail.id):
            console.print(f"  {delivery.address}: [bold green]{delivery.status}[/bold green]")
            if delivery.status != "delivered":
                raise RuntimeError(f"{delivery.address} was not delivered: {delivery.reason}")
        await _cen_steps(ge, nodes["wco"])
        console.print(f"\n[bold]Done.[/bold] Each node's data is in {root}/<node id>.")
    finally:
        for node in reversed(nodes.values()):
            await node.close()


@contextlib.contextmanager
def _demo_root(data_dir: Path | None) -> Iterator[Path]:
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        yield data_dir.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="icomm-demo-") as tmp:
        yield Path(tmp)


def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Keep the nodes' data in DIR/<node id> (default: a temporary folder).",
        ),
    ] = None,
) -> None:
    """Run three nodes (ge, am, wco) and watch a signed, encrypted mail travel."""
    base = load_settings()
    with _demo_root(data_dir) as root:
        try:
            asyncio.run(run_demo(root, base))
        except (TimeoutError, RuntimeError, ValueError) as exc:
            raise fail(str(exc)) from exc
