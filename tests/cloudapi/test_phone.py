from __future__ import annotations

import pytest

from easymo_core.cloudapi.errors import PayloadError
from easymo_core.cloudapi.phone import normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1 415-555-2671", "14155552671"),
        ("+1 (415) 555 2671", "14155552671"),
        ("14155552671", "14155552671"),
        ("  +250 788 123 456 ", "250788123456"),
        ("0049 170 1234567", "491701234567"),
        ("+55 11 98765-4321", "5511987654321"),
        # Meta's test numbers and the sandbox's users sit in the fictional 555 area code.
        ("+1 555 123 4567", "15551234567"),
        ("15550100001", "15550100001"),
    ],
)
def test_accepted_forms(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "abc", "+1 415 555 2671 ext 3", "0170 1234567", "+1 123 456 7890",
     "+999 1234 5678", "12", "++14155552671", "+1555123", "+44 1234"],
)
def test_refused_numbers_name_the_field_and_value(raw: str) -> None:
    with pytest.raises(PayloadError) as caught:
        normalize_phone(raw, "recipient")
    assert caught.value.field == "recipient"
    assert caught.value.message.startswith(f"phone number {raw!r}")


def test_not_a_string_is_refused() -> None:
    with pytest.raises(PayloadError):
        normalize_phone(14155552671)


def test_results_are_cached() -> None:
    normalize_phone.cache_clear()
    normalize_phone("+1 415 555 2671")
    normalize_phone("+1 415 555 2671")
    info = normalize_phone.cache_info()
    assert (info.hits, info.misses) == (1, 1)
