"""Reading our envelopes with jwcrypto, an independent JOSE library, as a partner would."""

from __future__ import annotations

from typing import Any

from jwcrypto.jwe import JWE


def envelope_header(jwe: JWE) -> dict[str, Any]:
    """The JOSE header of an envelope, which has one recipient: from jwcrypto 1.6 on, a JWE
    in the general JSON serialization gives one header per recipient (a list), before a
    single one."""
    header = jwe.jose_header
    if isinstance(header, list):
        [header] = header
    return dict(header)
