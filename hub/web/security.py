"""Sessions, CSRF tokens, one-time password links and sign-in rate limiting.

* **Sessions** are signed cookies (itsdangerous, HMAC-SHA256 under a key generated once
  into ``<data dir>/web/secret.key``, 0600), not rows: the cookie carries the user
  name, a *session version* derived from the user's current password hash, the
  session's CSRF token and an expiry. Every request reloads the account, so a session
  ends at once when its user is deactivated, and when the password changes (the
  version no longer matches). The cookie is HttpOnly, SameSite=Lax and Secure (unless
  ``ICOMM_WEB_SECURE_COOKIES=false`` for development over http://localhost). A visitor
  who is not signed in gets an anonymous session: only a CSRF token, for the sign-in
  and password forms.
* **CSRF**: every state-changing request (anything but GET/HEAD/OPTIONS) must carry
  the session's token, as the ``csrf_token`` form field (pages) or the
  ``X-CSRF-Token`` header (JSON API) — the synchronizer-token pattern, the token
  being kept in the signed cookie rather than on the server.
* **Password links** (new accounts, resets) are signed tokens with an expiry, bound to
  the password hash at issue time: setting the password changes the hash, so a link
  works once.
* **Sign-in limits**: after 5 failures for one user name, or 20 from one client
  address, within 15 minutes, sign-in is refused for 15 minutes. The counts are kept
  in memory: per process, and forgotten on restart.
"""

from __future__ import annotations

import hmac
import secrets
import stat
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from hub.errors import HubError
from storage.files import write_atomic

Clock = Callable[[], float]

SESSION_COOKIE = "icomm_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 12 * 3600
"""A session lasts a working day, then the user signs in again."""
ANONYMOUS_SECONDS = 3600
RESET_LINK_SECONDS = 24 * 3600
WELCOME_LINK_SECONDS = 7 * 24 * 3600
SECRET_BYTES = 32


def secret_key_path(data_dir: Path) -> Path:
    return data_dir / "web" / "secret.key"


def ensure_secret_key(data_dir: Path) -> bytes:
    """The web app's signing key, generated on first use; refused if others can read it.

    With several worker processes, call this once before they start, so that they all
    load the same key.
    """
    path = secret_key_path(data_dir)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        write_atomic(path, secrets.token_bytes(SECRET_BYTES))
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise HubError(
            f"{path} is readable by other users (mode {stat.S_IMODE(mode):o}): "
            f"chmod 600 it, or delete it to sign every user out and make a new one"
        )
    key = path.read_bytes()
    if len(key) < SECRET_BYTES:
        raise HubError(f"{path} is too short to be a key: delete it to make a new one")
    return key


@dataclass(frozen=True)
class Session:
    """What the session cookie says: who (None: nobody yet), which version, the CSRF token."""

    username: str | None
    version: str
    csrf_token: str
    expires: float


class Sessions:
    """Issues and reads session cookies."""

    def __init__(self, key: bytes, *, secure: bool, clock: Clock = time.time) -> None:
        self._key = key
        self._serializer = URLSafeSerializer(key, salt="icomm-web-session")
        self.secure = secure
        self.clock = clock

    def version_of(self, password_hash: str | None) -> str:
        """A short, keyed digest of the password hash: changes when the password does."""
        digest = hmac.new(
            self._key, b"session-version\0" + (password_hash or "").encode(), "sha256"
        )
        return digest.hexdigest()[:24]

    def is_current(self, session: Session, password_hash: str | None) -> bool:
        """Whether ``session`` was issued for the user's current password."""
        return hmac.compare_digest(session.version, self.version_of(password_hash))

    def signed_in(self, username: str, password_hash: str | None) -> Session:
        """A new session for ``username`` (with a new CSRF token: no fixation)."""
        return Session(
            username,
            self.version_of(password_hash),
            secrets.token_urlsafe(24),
            self.clock() + SESSION_SECONDS,
        )

    def anonymous(self) -> Session:
        return Session(None, "", secrets.token_urlsafe(24), self.clock() + ANONYMOUS_SECONDS)

    def encode(self, session: Session) -> str:
        return self._serializer.dumps(
            {
                "u": session.username,
                "v": session.version,
                "c": session.csrf_token,
                "e": session.expires,
            }
        )

    def decode(self, cookie: str | None) -> Session | None:
        """The session in a cookie; None if absent, forged, malformed or expired."""
        if not cookie:
            return None
        try:
            data: Any = self._serializer.loads(cookie)
            session = Session(
                username=data["u"], version=data["v"], csrf_token=data["c"], expires=data["e"]
            )
        except (BadSignature, KeyError, TypeError):
            return None
        if not isinstance(session.csrf_token, str) or not isinstance(session.expires, int | float):
            return None
        return session if session.expires > self.clock() else None

    def cookie_arguments(self, session: Session) -> dict[str, Any]:
        """For ``Response.set_cookie``: the cookie with its flags."""
        return {
            "key": SESSION_COOKIE,
            "value": self.encode(session),
            "max_age": max(0, int(session.expires - self.clock())),
            "path": "/",
            "secure": self.secure,
            "httponly": True,
            "samesite": "lax",
        }


def csrf_matches(session: Session | None, supplied: str | None) -> bool:
    if session is None or not supplied:
        return False
    return hmac.compare_digest(session.csrf_token.encode(), supplied.encode())


class LinkError(Exception):
    """A password link that is forged, expired or already used."""


@dataclass(frozen=True)
class PasswordLink:
    username: str
    version: str


class PasswordLinks:
    """One-time links to set a password: signed, expiring, bound to the password hash."""

    def __init__(self, key: bytes, sessions: Sessions, *, clock: Clock = time.time) -> None:
        self._serializer = URLSafeSerializer(key, salt="icomm-web-password-link")
        self._sessions = sessions
        self.clock = clock

    def issue(self, username: str, password_hash: str | None, seconds: int) -> str:
        return self._serializer.dumps(
            {
                "u": username,
                "v": self._sessions.version_of(password_hash),
                "e": int(self.clock() + seconds),
            }
        )

    def read(self, token: str) -> PasswordLink:
        """The link's user and version if it is genuine and unexpired (else LinkError)."""
        try:
            data: Any = self._serializer.loads(token)
            username, version, expires = data["u"], data["v"], data["e"]
        except (BadSignature, KeyError, TypeError) as exc:
            raise LinkError("not a valid link") from exc
        if not isinstance(username, str) or not isinstance(expires, int):
            raise LinkError("not a valid link")
        if expires <= self.clock():
            raise LinkError("expired")
        return PasswordLink(username, version)

    def still_valid(self, link: PasswordLink, password_hash: str | None) -> bool:
        """Whether the password is still the one the link was issued for (unused)."""
        return hmac.compare_digest(link.version, self._sessions.version_of(password_hash))


class LoginLimiter:
    """Counts sign-in failures per user name and per client address, in memory."""

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        per_user: int = 5,
        per_address: int = 20,
        window: float = 15 * 60,
        lockout: float = 15 * 60,
        max_keys: int = 100_000,
    ) -> None:
        self.clock = clock
        self.limits = {"user": per_user, "addr": per_address}
        self.window = window
        self.lockout = lockout
        self.max_keys = max_keys
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._locked_until: dict[tuple[str, str], float] = {}

    def _keys(self, username: str, address: str | None) -> list[tuple[str, str]]:
        keys = [("user", username.strip().lower())]
        if address:
            keys.append(("addr", address))
        return keys

    def locked_for(self, username: str, address: str | None) -> float:
        """Seconds until sign-in is allowed again for this user name and address (0: now)."""
        now = self.clock()
        return max(
            (self._locked_until.get(key, now) - now for key in self._keys(username, address)),
            default=0.0,
        )

    def failed(self, username: str, address: str | None) -> None:
        now = self.clock()
        if len(self._failures) > self.max_keys:
            self._forget_old(now)
        for key in self._keys(username, address):
            times = self._failures.setdefault(key, deque())
            times.append(now)
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.limits[key[0]]:
                self._locked_until[key] = now + self.lockout
                times.clear()

    def succeeded(self, username: str) -> None:
        """A successful sign-in clears the user name's failures (not its address's)."""
        self._failures.pop(("user", username.strip().lower()), None)

    def _forget_old(self, now: float) -> None:
        for key in [k for k, t in self._failures.items() if not t or t[-1] <= now - self.window]:
            del self._failures[key]
        for key in [k for k, until in self._locked_until.items() if until <= now]:
            del self._locked_until[key]
