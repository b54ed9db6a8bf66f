from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail

from easymo_core.config import Profile, resolve_profile
from easymo_core.config import sandbox_defaults as sd
from easymo_core.errors import SecretsError
from easymo_core.secrets import get_secret, has_secret, set_secret
from easymo_core.secrets.store import SERVICE
from tests.conftest import MemoryKeyring
from tests.fake_secrets import fake_token

PROD = Profile(name="prod", phone_number_id="1", waba_id="2", db_url="sqlite:///x.db")


def test_round_trip_through_keyring(memory_keyring: MemoryKeyring) -> None:
    token = fake_token("testtokenvalue")
    set_secret("prod", "token", f"  {token}  \n")
    set_secret("prod", "app-secret", "appsecretvalue")
    assert get_secret(PROD, "token") == token
    assert get_secret(PROD, "app-secret") == "appsecretvalue"
    assert memory_keyring.store[(SERVICE, "prod:token")] == token


def test_missing_secret_names_the_command(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(SecretsError, match="easymo secrets set token --profile prod"):
        get_secret(PROD, "token")
    assert not has_secret(PROD, "app-secret")


def test_environment_beats_keyring(memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    set_secret("prod", "token", "from-keyring-1")
    monkeypatch.setenv("EASYMO_ACCESS_TOKEN", "from-env-123")
    monkeypatch.setenv("EASYMO_APP_SECRET", "secret-from-env")
    assert get_secret(PROD, "token") == "from-env-123"
    assert get_secret(PROD, "app-secret") == "secret-from-env"


def test_no_keyring_backend_names_env_vars() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(SecretsError) as err:
            get_secret(PROD, "token")
        assert "EASYMO_ACCESS_TOKEN" in err.value.one_line()
        assert "no OS keyring" in err.value.one_line()
        with pytest.raises(SecretsError):
            set_secret("prod", "token", "value123")
    finally:
        keyring.set_keyring(previous)


def test_plaintext_backend_refused() -> None:
    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())
    try:
        with pytest.raises(SecretsError, match="no OS keyring"):
            set_secret("prod", "token", "value123")
    finally:
        keyring.set_keyring(previous)


def test_sandbox_needs_no_keyring() -> None:
    sandbox = resolve_profile()
    assert get_secret(sandbox, "token") == sd.SANDBOX_TOKEN
    assert get_secret(sandbox, "app-secret") == sd.SANDBOX_APP_SECRET


def test_empty_secret_refused(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(SecretsError, match="empty"):
        set_secret("prod", "token", "   \n")
    assert memory_keyring.store == {}
