"""Recipient phone numbers: E.164 digits without '+', as the Cloud API's ``to`` and ``wa_id``."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import re_util

from easymo_core.cloudapi.errors import PayloadError

# libphonenumber compiles its metadata patterns on every check and leans on the re module's
# cache of 512, which a NANP number's walk over its ~25 regions (plus everything else the
# process matches) keeps evicting: a third of a send's validation went to recompiling.
# Keeping them is bounded by the metadata. Older phonenumbers releases lack the switch.
_enable_cache = getattr(re_util, "enable_pattern_cache", None)
if _enable_cache is not None:
    _enable_cache()

# Separators people paste along with numbers; anything else (letters, '#') is refused.
_SEPARATORS_RE = re.compile(r"[\s\-().]")
_DIGITS_RE = re.compile(r"\+?\d+")
# libphonenumber rejects the fictional NANP area code 555, but Meta issues its test business
# numbers there and the sandbox's simulated users live there too.
_META_TEST_PREFIX = "1555"


@lru_cache(maxsize=65536)
def normalize_phone(raw: str, field: str = "to") -> str:
    """``raw`` as E.164 digits without '+', e.g. ``"+1 (415) 555-2671"`` -> ``"14155552671"``.

    The number must carry its country code ('+', '00' or just the digits); an invalid
    number raises :class:`PayloadError` naming ``field`` and the value.
    """
    compact = _SEPARATORS_RE.sub("", raw.strip()) if isinstance(raw, str) else ""
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not _DIGITS_RE.fullmatch(compact):
        raise _invalid(field, raw, "must be digits with the country code")
    digits = compact.lstrip("+")
    if digits.startswith("0"):
        raise _invalid(field, raw, "has no country code")
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        raise _invalid(field, raw, "has no known country code") from None
    # A 555 number is never valid to libphonenumber, and finding that out walks all ~25
    # NANP regions' patterns: ask the one question that decides it.
    if digits.startswith(_META_TEST_PREFIX):
        if phonenumbers.is_possible_number(number):
            return digits
    elif phonenumbers.is_valid_number(number):
        return digits
    raise _invalid(field, raw, "is not a valid phone number for its country")


def _invalid(field: str, raw: object, problem: str) -> PayloadError:
    # "to '12' ..." reads badly to a person; the field name stays on the error for code.
    return PayloadError(
        f"phone number {raw!r} {problem}",
        field=field,
        explanation="Write it in international form, like +15551234567, and send again.",
    )
