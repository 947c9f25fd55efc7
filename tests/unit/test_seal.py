"""Sealing: key derivation, the header, authenticated values, the vault's states."""

from __future__ import annotations

import json

import pytest

from tracker import seal
from tracker.seal import (
    LOCKED,
    SealError,
    SealHeader,
    Vault,
    create_seal,
    is_sealed_value,
    passphrase_from_environment,
    unlock,
    vault_for,
)

FAST = {"memory_cost": 64, "iterations": 1, "lanes": 1}


def test_values_round_trip_and_hide_the_plaintext() -> None:
    header, sealer = create_seal("correct horse battery", params=FAST)
    token = sealer.seal("Встреча с депутатом Ержаном", "summary")
    assert is_sealed_value(token) and "Ержан" not in token
    assert sealer.seal("same", "summary") != sealer.seal("same", "summary")  # fresh nonces
    again = unlock(SealHeader.from_json(header.to_json()), "correct horse battery")
    assert again.open(token, "summary") == "Встреча с депутатом Ержаном"


def test_a_wrong_passphrase_is_one_clear_error() -> None:
    header, _ = create_seal("correct horse battery", params=FAST)
    with pytest.raises(SealError) as info:
        unlock(header, "correct horse batterY", "TRACKER_PASSPHRASE")
    message = str(info.value)
    assert "wrong passphrase (from TRACKER_PASSPHRASE)" in message and "\n" not in message


def test_values_are_bound_to_their_field_and_authenticated() -> None:
    _, sealer = create_seal("pw", params=FAST)
    token = sealer.seal("secret", "summary")
    with pytest.raises(SealError, match="cannot be opened"):
        sealer.open(token, "outcome")  # moved to another field
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(SealError, match="cannot be opened"):
        sealer.open(tampered, "summary")
    _, other = create_seal("pw", params=FAST)  # same passphrase, other salt: other key
    with pytest.raises(SealError):
        other.open(token, "summary")


def test_scrypt_headers_work_too() -> None:
    header, sealer = create_seal("pw", kdf="scrypt", params={"n": 2**10, "r": 8, "p": 1})
    assert header.kdf == "scrypt"
    assert unlock(SealHeader.from_json(header.to_json()), "pw").open(
        sealer.seal("x", "summary"), "summary") == "x"


def test_default_parameters_are_memory_hard() -> None:
    assert seal.ARGON2_PARAMS["memory_cost"] >= 65536  # KiB: 64 MiB
    assert seal.SCRYPT_PARAMS["n"] * seal.SCRYPT_PARAMS["r"] * 128 >= 32 * 1024 * 1024


@pytest.mark.parametrize("mutate", [
    lambda h: "not json",
    lambda h: json.dumps({**json.loads(h), "kdf": "md5"}),
    lambda h: json.dumps({**json.loads(h), "params": {"memory_cost": 2**40, "iterations": 1,
                                                      "lanes": 1}}),
    lambda h: json.dumps({k: v for k, v in json.loads(h).items() if k != "salt"}),
])
def test_damaged_headers_are_refused(mutate: object) -> None:
    header, _ = create_seal("pw", params=FAST)
    assert callable(mutate)
    with pytest.raises(SealError, match="seal header"):
        SealHeader.from_json(mutate(header.to_json()))


def test_vault_states() -> None:
    header, sealer = create_seal("pw", params=FAST)
    stored = sealer.seal("Ержан", "counterpart_person")
    locked = vault_for(header.to_json(), None)
    assert locked.configured and not locked.unlocked
    assert locked.reveal("counterpart_person", stored, True) == LOCKED
    assert locked.reveal("counterpart_institution", "Mazhilis", True) == "Mazhilis"
    with pytest.raises(SealError, match="no passphrase"):
        locked.protect("summary", "text")
    assert locked.protect("summary", None) is None
    opened = vault_for(header.to_json(), ("pw", "test"))
    assert opened.reveal("counterpart_person", stored, True) == "Ержан"
    assert is_sealed_value(opened.protect("summary", "text"))
    assert opened.protect("counterpart_institution", "Mazhilis") == "Mazhilis"
    plain = vault_for(None, None)
    assert plain.protect("summary", "text") == "text" and not plain.configured
    assert vault_for(None, ("pw", "env")).pending == "pw"
    assert Vault().reveal("summary", "old plain text", False) == "old plain text"


def test_passphrase_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seal, "_keyring_passphrase", lambda: None)
    monkeypatch.delenv("TRACKER_PASSPHRASE", raising=False)
    assert passphrase_from_environment() is None
    monkeypatch.setattr(seal, "_keyring_passphrase", lambda: "from keyring")
    assert passphrase_from_environment() == ("from keyring", "keyring advocacy-tracker/seal")
    monkeypatch.setenv("TRACKER_PASSPHRASE", "from env")
    assert passphrase_from_environment() == ("from env", "TRACKER_PASSPHRASE")
    monkeypatch.setenv("TRACKER_PASSPHRASE", "")
    assert passphrase_from_environment() == ("from keyring", "keyring advocacy-tracker/seal")


def test_an_empty_passphrase_cannot_seal() -> None:
    with pytest.raises(SealError, match="empty"):
        create_seal("")
