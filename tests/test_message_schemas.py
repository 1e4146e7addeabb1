"""The message types: round trips, clear errors, the CEN allow-list, exported JSON Schema."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from message_schemas import (
    MESSAGE_TYPES,
    Acknowledgement,
    Alert,
    Attachment,
    CaseShare,
    CenCommodity,
    CenOffender,
    CenSeizure,
    Commodity,
    EnvelopeHeader,
    HandlingCode,
    HeaderEntry,
    KeysAnnounce,
    Mail,
    MessageBase,
    PartyLink,
    Receipt,
    RecipientResult,
    SchemaError,
    Seizure,
    SharedCase,
    Suspect,
    dump_message,
    export_json_schemas,
    new_id,
    node_of,
    parse_address,
    parse_message,
)

NOW = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
PUBLIC_JWK = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}


def mail(**overrides: object) -> Mail:
    fields: dict[str, object] = {
        "sender": "nino.beridze@ge",
        "to": ["analysts@am"],
        "subject": "Container MSCU1234567",
        "body": "See the attached manifest.",
    }
    return Mail.model_validate({**fields, **overrides})


def one_of_each() -> list[MessageBase]:
    return [
        mail(
            body_html="<p>See the attached manifest.</p>",
            attachments=[
                Attachment.from_bytes("manifest.pdf", b"%PDF-1.7\x00\xff", "application/pdf")
            ],
            thread_id="0" * 32,
            in_reply_to="0" * 32,
            handling_code=HandlingCode.H0,
            source_evaluation="B",
            information_evaluation="2",
        ),
        Receipt(
            sender="hub@am",
            to=["nino.beridze@ge"],
            acknowledges=[
                Acknowledgement(
                    receipt_for="a" * 32,
                    digest="b" * 64,
                    results=[
                        RecipientResult(address="analysts@am", status="delivered"),
                        RecipientResult(
                            address="gone@am", status="failed", reason="no such mailbox"
                        ),
                    ],
                )
            ],
            received_at=NOW,
        ),
        CaseShare(
            sender="cases@ge",
            to=["cases@am"],
            handling_code=HandlingCode.H1,
            case=SharedCase(
                ref="c" * 32,
                origin_node="ge",
                revision=1,
                validated_at=NOW,
                seizure=Seizure(
                    case_number="GE-2024-0042",
                    occurred_at=NOW,
                    commodities=[Commodity(category="drugs", quantity=Decimal("1.5"), unit="kg")],
                    suspects=[PartyLink(ref="d" * 32, role="courier")],
                ),
                suspects={"d" * 32: Suspect(surname="Person", date_of_birth=date(1980, 1, 1))},
            ),
        ),
        CenSeizure(
            sender="cases@ge",
            to=["cen@wco"],
            seizure_ref="ge:" + "7f3a9c" * 5 + "00",
            revision=2,
            seizure_date=date(2024, 4, 30),
            office="GE-SARPI",
            place_kind="land",
            direction="import",
            commodities=[
                CenCommodity(
                    category="drugs",
                    type="cocaine",
                    quantity=Decimal("12.500"),
                    unit="kg",
                    value=Decimal("450000"),
                    currency="EUR",
                )
            ],
            detection_method="x_ray",
            concealment_method="vehicle_hidden_compartment",
            conveyance_mode="road",
            conveyance_type="truck",
            departure_country="TR",
            destination_country="AM",
            transit_countries=["GE"],
            offenders=[CenOffender(nationality="TR", gender="male", age_band="36-45")],
        ),
        Alert(
            sender="risk@ge",
            to=["analysts@ge"],
            subject="Profile hit: cocaine via Sarpi",
            severity="high",
            profile="cocaine-sarpi",
            refers_to="GE-2024-0042",
            body="The incoming share matches the profile.",
        ),
        KeysAnnounce(
            sender="hub@ge",
            to=["hub@am", "hub@ua"],
            node="ge",
            jwks={"keys": [{**PUBLIC_JWK, "kid": "ge-2024-05"}]},
            retires=["ge-2023-05"],
            effective=NOW,
        ),
    ]


def problems(data: bytes | str) -> list[str]:
    with pytest.raises(SchemaError) as caught:
        parse_message(data)
    return caught.value.problems


def wire(message: MessageBase, **changes: object) -> bytes:
    """The message's JSON with some fields changed (or removed, when the value is ...)."""
    document = json.loads(dump_message(message))
    document.update(changes)
    return json.dumps({k: v for k, v in document.items() if v is not ...}).encode()


@pytest.mark.parametrize("message", one_of_each(), ids=lambda m: m.type)
def test_every_type_round_trips_through_its_canonical_json(message: MessageBase) -> None:
    data = dump_message(message)
    parsed = parse_message(data)
    assert type(parsed) is type(message)
    assert parsed == message
    assert dump_message(parsed) == data


def test_every_type_is_registered_and_carries_schema_version_1() -> None:
    assert {m.type for m in one_of_each()} == set(MESSAGE_TYPES)
    for message in one_of_each():
        model = MESSAGE_TYPES[message.type]
        assert model.type_name() == message.type
        assert model.SCHEMA_VERSION == 1
        assert json.loads(dump_message(message))["v"] == 1


def test_canonical_json_is_compact_uses_from_and_leaves_out_nulls() -> None:
    data = dump_message(mail())
    document = json.loads(data)
    assert data == json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    assert document["from"] == "nino.beridze@ge"
    assert "sender" not in document
    assert "body_html" not in document and "thread_id" not in document
    assert document["handling_code"] == "H1"


def test_new_messages_get_a_hex_id_and_an_aware_creation_time() -> None:
    first, second = mail(), mail()
    assert len(first.id) == 32 and int(first.id, 16) >= 0
    assert first.id != second.id
    assert first.created.tzinfo is not None
    assert abs(datetime.now(UTC) - first.created) < timedelta(minutes=1)


def test_times_are_normalised_to_utc() -> None:
    tbilisi = timezone(timedelta(hours=4))
    message = mail(created=datetime(2024, 5, 1, 13, 30, tzinfo=tbilisi))
    assert message.created == NOW
    assert message.created.utcoffset() == timedelta(0)
    assert b'"created":"2024-05-01T09:30:00Z"' in dump_message(message)


def test_addresses_are_normalised_to_lowercase_and_split_into_local_and_node() -> None:
    assert mail(sender="Nino.Beridze@GE").sender == "nino.beridze@ge"
    assert parse_address("cen@wco") == ("cen", "wco")
    assert parse_address(" Cen@WCO ") == ("cen", "wco")
    assert node_of("analysts@ge") == "ge"


@pytest.mark.parametrize(
    "address",
    [
        *("bob@", "@ge", "bob", "bob@geo", "bob@g1", "-bob@ge", "a b@ge", f"{'a' * 65}@ge"),
        " " * 300 + "nino@ge",  # too long to be an address, whatever the spaces
    ],
)
def test_a_malformed_address_is_refused_with_an_example(address: str) -> None:
    with pytest.raises(SchemaError) as caught:
        parse_address(address)
    assert str(caught.value) == (
        f"{address!r} is not an Icomm address: expected local@node, e.g. nino.beridze@ge"
    )


def test_a_bad_address_in_a_message_names_the_field() -> None:
    assert problems(wire(mail(), to=["analysts@am", "bob@"])) == [
        "to.1: 'bob@' is not an Icomm address: expected local@node, e.g. nino.beridze@ge"
    ]


def test_schema_error_lists_every_problem_with_its_field() -> None:
    found = problems(
        wire(
            mail(),
            to=["x@ge", "X@GE"],
            created="2024-05-01T09:30:00",
            subject="two\nlines",
            handling_code="H9",
        )
    )
    assert len(found) == 4
    assert found[0] == "to: recipients listed more than once: x@ge"
    assert found[1].startswith("created: 2024-05-01T09:30:00 has no time zone")
    assert found[2] == "subject: must be a single line (no CR or LF)"
    assert found[3].startswith("handling_code: ")
    with pytest.raises(SchemaError) as caught:
        parse_message(wire(mail(), subject="two\nlines", body=None))
    assert str(caught.value) == "; ".join(caught.value.problems)
    assert len(caught.value.problems) == 2


def test_an_unknown_type_is_refused_naming_the_known_ones() -> None:
    assert problems(wire(mail(), type="foo")) == [
        "type: unknown message type 'foo' "
        "(known: alert, case.share, cen.seizure, keys.announce, mail, receipt)"
    ]


def test_a_message_without_a_type_is_refused() -> None:
    assert problems(wire(mail(), type=...))[0].startswith("type: missing")


def test_an_unsupported_schema_version_is_the_one_problem_reported() -> None:
    newer = wire(mail(), v=2, priority="urgent")
    assert problems(newer) == ["v: mail schema version 2 is not supported by this node (reads 1)"]


def test_building_a_message_of_another_version_fails_too() -> None:
    with pytest.raises(ValueError, match="alert schema version 0 is not supported"):
        Alert(sender="a@ge", to=["b@ge"], v=0, subject="s", severity="low", profile="p", body="")


def test_a_naive_datetime_is_refused() -> None:
    found = problems(wire(mail(), created="2024-05-01T09:30:00"))
    assert found == [
        "created: 2024-05-01T09:30:00 has no time zone; "
        "give one, e.g. 2024-05-01T09:30:00Z or +04:00"
    ]


def test_a_message_on_the_wire_must_carry_its_id_version_and_time() -> None:
    assert problems(wire(mail(), id=..., v=..., created=...)) == [
        "a message on the wire must carry id, v, created"
    ]


def test_invalid_json_is_a_schema_error() -> None:
    assert problems(b'{"type": "mail",')[0].startswith("Invalid JSON")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"size": 3}, "says 3 bytes but its content has 10"),
        ({"sha256": "0" * 64}, "sha256 does not match its content"),
        ({"content": "not base64!"}, "is not valid base64"),
        ({"filename": "../etc/passwd"}, "is not a bare file name"),
        ({"media_type": "pdf"}, "String should match pattern"),
    ],
)
def test_an_attachment_that_does_not_match_its_content_is_refused(
    changes: dict[str, object], expected: str
) -> None:
    document = json.loads(dump_message(one_of_each()[0]))
    document["attachments"][0].update(changes)
    (found,) = problems(json.dumps(document))
    assert found.startswith("attachments.0")
    assert expected in found


def test_attachment_content_travels_as_standard_base64() -> None:
    attachment = Attachment.from_bytes("bytes.bin", bytes([0xFB, 0xFF, 0xBF]))
    assert attachment.size == 3
    assert attachment.sha256 == hashlib.sha256(b"\xfb\xff\xbf").hexdigest()
    document = json.loads(dump_message(mail(attachments=[attachment])))
    assert document["attachments"][0]["content"] == "+/+/"


def test_a_failed_delivery_must_give_its_reason() -> None:
    with pytest.raises(ValueError, match="delivery to gone@am failed but no reason is given"):
        RecipientResult(address="gone@am", status="failed")


def test_keys_announce_refuses_private_keys() -> None:
    private = {**PUBLIC_JWK, "kid": "ge-2024-05", "d": "nWGxne_9"}
    announce = one_of_each()[5]
    (found,) = problems(wire(announce, jwks={"keys": [PUBLIC_JWK, private]}))
    assert found == (
        "jwks: keys.announce must carry public keys only: key 1 (ge-2024-05) "
        "has private member(s) d"
    )


def test_keys_announce_needs_a_key_set() -> None:
    (found,) = problems(wire(one_of_each()[5], jwks={"kty": "OKP"}))
    assert found.startswith('jwks: a JWKS needs "keys"')


def test_cen_seizure_refuses_any_field_outside_its_allow_list() -> None:
    seizure = one_of_each()[3]
    assert problems(wire(seizure, offender_name="A. Person")) == [
        "offender_name: Extra inputs are not permitted"
    ]
    document = json.loads(dump_message(seizure))
    document["offenders"][0]["passport_number"] = "12AB34567"
    assert problems(json.dumps(document)) == [
        "offenders.0.passport_number: Extra inputs are not permitted"
    ]


def test_cen_seizure_refuses_narratives_and_unknown_vocabulary() -> None:
    found = problems(wire(one_of_each()[3], concealment_method="x" * 201, place_kind="airport"))
    assert [p.split(":")[0] for p in found] == ["place_kind", "concealment_method"]


def test_a_commodity_value_needs_its_currency() -> None:
    with pytest.raises(ValueError, match="a value needs its currency"):
        CenCommodity(category="tobacco", type="cigarettes", quantity=10, unit="sticks", value=5)


def test_handling_code_tells_whether_information_may_be_passed_on() -> None:
    assert HandlingCode.H0.allows_resharing
    assert not HandlingCode.H1.allows_resharing
    assert not HandlingCode.H2.allows_resharing
    assert mail().handling_code is HandlingCode.H1


def test_a_moment_that_cannot_be_expressed_in_utc_is_a_clear_error() -> None:
    early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=3)))
    with pytest.raises(ValidationError, match="cannot be expressed in UTC"):
        Mail(sender="a@ge", to=["b@ge"], subject="s", body="b", created=early)


def test_messages_are_immutable() -> None:
    message = mail()
    with pytest.raises(ValueError, match="frozen"):
        message.subject = "changed"  # type: ignore[misc]


def test_exported_schemas_describe_and_validate_real_messages(tmp_path: Path) -> None:
    written = export_json_schemas(tmp_path / "schemas")
    names = sorted(path.name for path in written)
    assert names == sorted(
        [f"{t}.v1.schema.json" for t in MESSAGE_TYPES]
        + ["envelope-header.v1.schema.json", "index.json"]
    )
    index = json.loads((tmp_path / "schemas" / "index.json").read_text())
    assert [entry["type"] for entry in index["schemas"]] == sorted(MESSAGE_TYPES)
    for message in one_of_each():
        schema = json.loads((tmp_path / "schemas" / f"{message.type}.v1.schema.json").read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == f"https://ncen-icomm.org/schemas/{message.type}/v1"
        assert schema["title"] and schema["description"]
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)
        document = json.loads(dump_message(message))
        validator.validate(document)
        for required in ("id", "type", "v", "from", "to", "created"):
            incomplete = {k: v for k, v in document.items() if k != required}
            assert not validator.is_valid(incomplete), required
        assert not validator.is_valid({**document, "v": 2})
        assert not validator.is_valid({**document, "unexpected": 1})


def test_exported_envelope_header_schema_validates_a_real_header(tmp_path: Path) -> None:
    export_json_schemas(tmp_path)
    schema = json.loads((tmp_path / "envelope-header.v1.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    header = EnvelopeHeader(
        eid="a" * 32,
        sender="ge",
        to=["am"],
        created=datetime.now(UTC),
        skid="kid",
        msgs=[HeaderEntry(id="b" * 32, type="mail")],
    ).as_header()
    validator.validate({**header, "enc": "A256GCM", "cty": "icomm-message+jws"})
    assert not validator.is_valid({k: v for k, v in header.items() if k != "msgs"})
    assert EnvelopeHeader.parse(header).sender == "ge"
    with pytest.raises(SchemaError, match="eid"):
        EnvelopeHeader.parse({**header, "eid": "../../etc"})


addresses = st.builds(
    "{}@{}".format,
    st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True),
    st.sampled_from(["ge", "am", "ua", "wco"]),
)
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)
hex_ids = st.from_regex(r"[0-9a-f]{32}", fullmatch=True)


@given(
    sender=addresses,
    to=st.lists(addresses, min_size=1, max_size=4, unique=True),
    created=st.datetimes(min_value=datetime(1900, 1, 1), timezones=st.timezones()),
    subject=text.map(lambda s: s.replace("\r", " ").replace("\n", " ")),
    body=text,
    body_html=st.none() | text,
    attachments=st.lists(
        st.builds(
            Attachment.from_bytes,
            st.from_regex(r"[A-Za-z0-9_.-]{1,20}\.bin", fullmatch=True),
            st.binary(max_size=300),
        ),
        max_size=3,
    ),
    thread_id=st.none() | hex_ids,
    handling_code=st.sampled_from(HandlingCode),
    source_evaluation=st.none() | st.sampled_from(["A", "B", "C", "X"]),
)
def test_random_valid_mail_round_trips(**fields: object) -> None:
    message = Mail.model_validate(fields)
    assert parse_message(dump_message(message)) == message


def test_new_ids_are_uuid7_that_sort_in_creation_order() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    made = []
    for _ in range(5):
        made.append(new_id())
        time.sleep(0.002)  # the next one in a later millisecond
    assert sorted(made) == made
    for made_id in made:
        value = uuid.UUID(made_id)
        assert (value.version, value.variant) == (7, uuid.RFC_4122)
        assert made_id == value.hex  # 32 lowercase hex digits: a MessageId
        when = datetime.fromtimestamp((value.int >> 80) / 1000, UTC)
        assert before <= when <= datetime.now(UTC)
    assert len({new_id() for _ in range(10_000)}) == 10_000
    assert Mail(sender="nino@ge", to=["armen@am"], subject="s", body="b").id > made[-1]
