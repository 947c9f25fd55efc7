"""Protection at rest: the sensitive fields of actions, encrypted with a passphrase.

When a passphrase is configured (environment variable ``TRACKER_PASSPHRASE``, else the
system keyring entry ``advocacy-tracker``/``seal`` when the optional ``keyring`` package is
installed — never the config file), the fields in :data:`SEALED_FIELDS` are stored as
``seal1:<base64url(nonce ‖ AES-256-GCM ciphertext ‖ tag)>``. The key is derived from the
passphrase by Argon2id (or scrypt where the OpenSSL build lacks Argon2), both memory-hard
and both from the ``cryptography`` package; nothing here is home-made crypto. Each value is
bound to its field name as associated data, so a ciphertext cannot be moved to another field
unnoticed.

The *seal header* (KDF name and parameters, salt, and a verification tag that tells a wrong
passphrase from a right one) is not secret; it is stored in the database itself (``meta``
table, key ``seal``), so it travels with the data it opens and every machine sharing a
PostgreSQL database uses the same one.

Without the passphrase the tracker still runs: sealed fields read as :data:`LOCKED`, and
writing actions is refused (never silently stored in plain text).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from typing import Any

# ``cryptography`` (~20 ms and a native library to load) is imported where a key is derived
# or a value sealed or opened, not here: this module's names (SEALED_FIELDS, LOCKED, Vault)
# are imported by every command module, including the `tracker scrape` that cron starts.
from tracker.errors import ConfigError
from tracker.store import Store
from tracker.store import actions as store_actions

#: Action fields encrypted when a seal exists (the ``actions`` columns of the same names).
SEALED_FIELDS: tuple[str, ...] = (
    "summary", "outcome", "next_step", "counterpart_person", "comment_text",
)
#: What a sealed field shows when the passphrase is not available.
LOCKED = "[locked]"
PASSPHRASE_ENV = "TRACKER_PASSPHRASE"
KEYRING_SERVICE = "advocacy-tracker"
KEYRING_USER = "seal"
PREFIX = "seal1:"

_CHECK_PLAINTEXT = b"advocacy-tracker seal check v1"
_CHECK_AAD = b"advocacy-tracker:seal-check"
_NONCE = 12
#: Argon2id: 64 MiB, 3 passes, 4 lanes (RFC 9106's second recommended option).
ARGON2_PARAMS: dict[str, int] = {"memory_cost": 65536, "iterations": 3, "lanes": 4}
#: scrypt fallback: N=2^15, r=8, p=1 (32 MiB).
SCRYPT_PARAMS: dict[str, int] = {"n": 2**15, "r": 8, "p": 1}
_LIMITS = {"memory_cost": (8, 4 * 1024 * 1024), "iterations": (1, 64), "lanes": (1, 64),
           "n": (2, 2**24), "r": (1, 64), "p": (1, 64)}


class SealError(ConfigError):
    """A wrong passphrase, a missing one where it is needed, or a damaged sealed value."""


@dataclass(frozen=True)
class SealHeader:
    """How to derive and check the key: KDF, its parameters, salt, verification tag."""

    kdf: str
    params: dict[str, int]
    salt: bytes
    check: bytes

    def to_json(self) -> str:
        """The header as stored in the database."""
        return json.dumps({
            "v": 1, "kdf": self.kdf, "params": self.params,
            "salt": _b64(self.salt), "check": _b64(self.check),
        }, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SealHeader:
        """Parse a stored header; SealError if it is damaged."""
        try:
            raw = json.loads(text)
            kdf = raw["kdf"]
            params = {str(k): int(v) for k, v in raw["params"].items()}
            header = cls(kdf, params, _unb64(raw["salt"]), _unb64(raw["check"]))
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise SealError(f"the database's seal header is damaged: {exc}") from None
        expected = ARGON2_PARAMS if kdf == "argon2id" else SCRYPT_PARAMS if kdf == "scrypt" else {}
        if not expected or set(params) != set(expected):
            raise SealError(f"the database's seal header names an unknown KDF {kdf!r}")
        for key, value in params.items():
            low, high = _LIMITS[key]
            if not low <= value <= high:
                raise SealError(f"the database's seal header has an implausible {key}={value}")
        return header


class Sealer:
    """Encrypts and decrypts field values with one derived key (AES-256-GCM)."""

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)

    def seal(self, value: str, field: str) -> str:
        """``value`` encrypted, bound to ``field``."""
        nonce = os.urandom(_NONCE)
        blob = nonce + self._aead.encrypt(nonce, value.encode("utf-8"), _aad(field))
        return PREFIX + _b64(blob)

    def open(self, token: str, field: str) -> str:
        """The plaintext of a sealed value; SealError when it does not authenticate."""
        from cryptography.exceptions import InvalidTag

        try:
            if not token.startswith(PREFIX):
                raise ValueError("not a sealed value")
            blob = _unb64(token[len(PREFIX):])
            plain = self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], _aad(field))
            return plain.decode("utf-8")
        except (ValueError, InvalidTag, binascii.Error):
            raise SealError(f"a sealed {field} cannot be opened: the value is damaged or "
                            "was sealed with another passphrase") from None

    def check_tag(self) -> bytes:
        """A verification tag for this key (stored in the header)."""
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, _CHECK_PLAINTEXT, _CHECK_AAD)

    def verifies(self, check: bytes) -> bool:
        """True when ``check`` was made with this key."""
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead.decrypt(check[:_NONCE], check[_NONCE:], _CHECK_AAD) == \
                _CHECK_PLAINTEXT
        except (InvalidTag, ValueError):
            return False


def is_sealed_value(value: object) -> bool:
    """True for a stored ``seal1:`` value."""
    return isinstance(value, str) and value.startswith(PREFIX)


def derive_key(passphrase: str, kdf: str, params: dict[str, int], salt: bytes) -> bytes:
    """A 32-byte key from the passphrase with a memory-hard KDF."""
    secret = passphrase.encode("utf-8")
    if kdf == "argon2id":
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        return Argon2id(salt=salt, length=32, iterations=params["iterations"],
                        lanes=params["lanes"], memory_cost=params["memory_cost"]).derive(secret)
    if kdf == "scrypt":
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        return Scrypt(salt=salt, length=32, n=params["n"], r=params["r"],
                      p=params["p"]).derive(secret)
    raise SealError(f"unknown KDF {kdf!r}")


def create_seal(passphrase: str, *, kdf: str | None = None,
                params: dict[str, int] | None = None) -> tuple[SealHeader, Sealer]:
    """A new header (fresh 16-byte salt) and its sealer. Argon2id unless unavailable."""
    from cryptography.exceptions import UnsupportedAlgorithm

    if not passphrase:
        raise SealError("an empty passphrase cannot seal anything")
    salt = os.urandom(16)
    chosen = kdf or "argon2id"
    chosen_params = dict(params or (ARGON2_PARAMS if chosen == "argon2id" else SCRYPT_PARAMS))
    try:
        key = derive_key(passphrase, chosen, chosen_params, salt)
    except (ImportError, UnsupportedAlgorithm):
        if kdf is not None:
            raise
        chosen, chosen_params = "scrypt", dict(SCRYPT_PARAMS)
        key = derive_key(passphrase, chosen, chosen_params, salt)
    sealer = Sealer(key)
    return SealHeader(chosen, chosen_params, salt, sealer.check_tag()), sealer


def unlock(header: SealHeader, passphrase: str, origin: str = PASSPHRASE_ENV) -> Sealer:
    """The sealer for this header; SealError (one line) for a wrong passphrase."""
    sealer = Sealer(derive_key(passphrase, header.kdf, header.params, header.salt))
    if not sealer.verifies(header.check):
        raise SealError(f"wrong passphrase (from {origin}): it does not open this database's "
                        "sealed fields; nothing was changed")
    return sealer


def passphrase_from_environment() -> tuple[str, str] | None:
    """(passphrase, where it came from): ``TRACKER_PASSPHRASE``, else the keyring."""
    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value, PASSPHRASE_ENV
    stored = _keyring_passphrase()
    return (stored, f"keyring {KEYRING_SERVICE}/{KEYRING_USER}") if stored else None


def _keyring_passphrase() -> str | None:
    try:
        import keyring
    except ImportError:
        return None
    try:
        value = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
    except Exception:  # no usable backend (a headless server): the env variable remains
        return None
    return str(value) if value else None


@dataclass
class Vault:
    """The seal state of one invocation: no seal, sealed and locked, or sealed and open.

    ``pending`` is a passphrase given while the database has no seal yet: the first write
    creates the seal with it (see :func:`tracker.actions.ensure_seal`)."""

    header: SealHeader | None = None
    sealer: Sealer | None = None
    pending: str | None = None

    @property
    def configured(self) -> bool:
        """True when the database has a seal."""
        return self.header is not None

    @property
    def unlocked(self) -> bool:
        """True when sealed fields can be read and written."""
        return self.sealer is not None

    def protect(self, field: str, value: str | None) -> str | None:
        """The value to store for a field (sealed when a seal exists)."""
        if value is None or field not in SEALED_FIELDS or self.header is None:
            return value
        if self.sealer is None:
            raise SealError(locked_message())
        return self.sealer.seal(value, field)

    def reveal(self, field: str, stored: Any, row_sealed: bool) -> Any:
        """What a stored value reads as: plaintext, or :data:`LOCKED` without the key."""
        if stored is None or field not in SEALED_FIELDS or not row_sealed:
            return stored
        if self.sealer is None:
            return LOCKED
        return self.sealer.open(str(stored), field)


def locked_message() -> str:
    """Why a write is refused when the seal cannot be opened."""
    return (f"actions are sealed and no passphrase is available: set {PASSPHRASE_ENV} (or "
            f"the keyring entry {KEYRING_SERVICE}/{KEYRING_USER}); nothing was recorded")


def vault_for(header_json: str | None, passphrase: tuple[str, str] | None) -> Vault:
    """The vault for a stored header (or none) and an available passphrase (or none)."""
    if header_json is None:
        return Vault(pending=passphrase[0] if passphrase else None)
    header = SealHeader.from_json(header_json)
    if passphrase is None:
        return Vault(header=header)
    return Vault(header=header, sealer=unlock(header, passphrase[0], passphrase[1]))


def open_vault(store: Store, passphrase: tuple[str, str] | bool | None = True) -> Vault:
    """The seal state for this store. ``True`` (default): take the passphrase from the
    environment or keyring; ``None``/``False``: none; or an explicit (passphrase, origin).
    SealError (one line) on a wrong passphrase."""
    if passphrase is True:
        given = passphrase_from_environment()
    elif passphrase is None or passphrase is False:
        given = None
    else:
        given = passphrase
    return vault_for(store_actions.get_meta(store, store_actions.SEAL_KEY), given)


def ensure_seal(store: Store, vault: Vault) -> int:
    """Before a write: create the seal when a passphrase is given but the database has none
    (sealing existing actions and history in the same transaction); refuse when sealed
    actions exist but cannot be opened. Returns the number of actions newly sealed."""
    if vault.configured:
        if not vault.unlocked:
            raise SealError(locked_message())
        return 0
    if vault.pending is None:
        if store_actions.any_sealed(store):
            raise SealError("sealed actions exist but the database has no seal header; "
                            "restore the database's meta table; nothing was recorded")
        return 0
    header, sealer = create_seal(vault.pending)
    count = store_actions.install_seal(store, header.to_json(), sealer.seal, SEALED_FIELDS)
    store_actions.purge_free_pages(store)
    vault.header, vault.sealer, vault.pending = header, sealer, None
    return count


def _aad(field: str) -> bytes:
    return f"advocacy-tracker:{field}".encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii"))
