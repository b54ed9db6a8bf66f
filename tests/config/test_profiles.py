from __future__ import annotations

from pathlib import Path

import pytest

from easymo_core.config import SANDBOX, Profile, ProfileStore, resolve_profile
from easymo_core.config import sandbox_defaults as sd
from easymo_core.errors import ConfigError


def _real(name: str = "prod", **kw: object) -> Profile:
    values: dict[str, object] = dict(
        name=name, phone_number_id="1234567890", waba_id="987654321",
        db_url="postgresql://admin@db.example/easymo", verify_token="vt",
    )
    values.update(kw)
    return Profile(**values)  # type: ignore[arg-type]


def test_sandbox_exists_with_no_setup() -> None:
    store = ProfileStore()
    assert store.names() == [SANDBOX]
    assert store.active_name() == SANDBOX
    p = resolve_profile()
    assert p.is_sandbox and p.phone_number_id == sd.SANDBOX_PHONE_NUMBER_ID
    assert p.db_url.startswith("sqlite:///") and p.db_url.endswith("sandbox.db")
    assert not store.path.exists()  # nothing written for the built-in profile


def test_round_trip(tmp_path: Path) -> None:
    store = ProfileStore()
    original = _real(fallbacks=("text_in_window",), messages_per_second=20.0)
    store.save(original)
    store.use("prod")
    again = ProfileStore()
    assert again.get("prod") == original
    assert again.active_name() == "prod"
    assert again.names() == [SANDBOX, "prod"]
    text = again.path.read_text()
    assert "access_token" not in text and "app_secret" not in text  # secrets never go to the file


def test_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    ProfileStore().save(_real())
    monkeypatch.setenv("EASYMO_PROFILE", "prod")
    monkeypatch.setenv("EASYMO_DB_URL", "sqlite:////tmp/x.db")
    monkeypatch.setenv("EASYMO_GRAPH_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("EASYMO_PHONE_NUMBER_ID", "111")
    monkeypatch.setenv("EASYMO_WABA_ID", "222")
    monkeypatch.setenv("EASYMO_VERIFY_TOKEN", "v2")
    p = resolve_profile()
    assert (p.name, p.db_url, p.graph_url, p.phone_number_id, p.waba_id, p.verify_token) == (
        "prod", "sqlite:////tmp/x.db", "http://127.0.0.1:9999", "111", "222", "v2",
    )
    # the command line beats the environment
    assert resolve_profile(db_url="sqlite:////tmp/y.db").db_url == "sqlite:////tmp/y.db"
    assert resolve_profile("sandbox").name == SANDBOX


def test_unknown_profile() -> None:
    with pytest.raises(ConfigError, match="unknown profile 'nope'"):
        resolve_profile("nope")
    with pytest.raises(ConfigError):
        ProfileStore().use("nope")


def test_bad_values_refused() -> None:
    store = ProfileStore()
    for bad in (
        _real(name="bad name"), _real(graph_version="23"), _real(phone_number_id="12ab"),
        _real(graph_url="ftp://x"), _real(messages_per_second=0), _real(fallbacks=("pray",)),
    ):
        with pytest.raises(ConfigError):
            store.save(bad)
    assert not store.path.exists()


def test_corrupt_profiles_file(tmp_path: Path) -> None:
    store = ProfileStore()
    store.path.parent.mkdir(parents=True)
    store.path.write_text("active = [unclosed")
    with pytest.raises(ConfigError, match="not valid TOML"):
        store.names()


def test_sandbox_cannot_be_removed() -> None:
    with pytest.raises(ConfigError, match="built in"):
        ProfileStore().remove(SANDBOX)


def test_remove_active_falls_back_to_sandbox() -> None:
    store = ProfileStore()
    store.save(_real())
    store.use("prod")
    store.remove("prod")
    assert store.active_name() == SANDBOX


def test_number_names_give_each_phone_number_its_profile() -> None:
    store = ProfileStore()
    store.save(_real("prod", phone_number_id="1234567890"))
    store.save(_real("shop", phone_number_id="5550001"))
    assert store.number_names() == {sd.SANDBOX_PHONE_NUMBER_ID: SANDBOX, "1234567890": "prod",
                                    "5550001": "shop"}
    store.path.write_text("active = [unclosed")
    assert store.number_names() == {}  # menus fall back to bare ids
