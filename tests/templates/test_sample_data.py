from __future__ import annotations

import pytest

from easymo_core.cloudapi.limits import TEMPLATE_CATEGORIES, TEMPLATE_STATUSES
from easymo_core.templates import review, validate_template
from easymo_core.templates.sample_data import sample_definitions, sample_template, sample_templates


def test_hello_world_is_metas_sample_word_for_word() -> None:
    data = sample_template("hello_world")
    assert (data["language"], data["category"], data["status"]) == ("en_US", "UTILITY", "APPROVED")
    assert data["components"] == [
        {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
        {
            "type": "BODY",
            "text": "Welcome and congratulations!! This message demonstrates your ability "
            "to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for "
            "taking the time to test with us.",
        },
        {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"},
    ]


def test_order_update_exists_in_three_languages() -> None:
    languages = sorted(d["language"] for d in sample_templates() if d["name"] == "order_update")
    assert languages == ["en_US", "es", "fr"]


def test_samples_are_unique_and_well_formed() -> None:
    samples = sample_templates()
    assert len({(d["name"], d["language"]) for d in samples}) == len(samples)
    assert len({d["id"] for d in samples}) == len(samples)
    for data in samples:
        assert data["status"] in TEMPLATE_STATUSES
        assert data["category"] in TEMPLATE_CATEGORIES
        assert data["quality_score"]["score"] in ("GREEN", "YELLOW", "RED", "UNKNOWN")


def test_the_samples_cover_what_the_other_modules_need() -> None:
    defs = {(d.name, d.language): d for d in sample_definitions()}
    assert defs[("appointment_reminder", "en_US")].parameter_format == "NAMED"
    promo = defs[("promo_spring", "en_US")]
    assert promo.category == "MARKETING" and promo.header is not None and promo.header.format == "IMAGE"
    auth = defs[("verification_code", "en_US")]
    assert auth.category == "AUTHENTICATION" and [b.type for b in auth.buttons] == ["COPY_CODE"]
    assert defs[("feedback_survey", "en_US")].status == "PAUSED"


@pytest.mark.parametrize(
    "defn",
    [d for d in sample_definitions() if d.name != "welcome_back"],
    ids=lambda d: f"{d.name}-{d.language}",
)
def test_good_samples_pass_validation(defn) -> None:  # type: ignore[no-untyped-def]
    assert validate_template(defn) == []
    assert review(defn).status == "APPROVED"


def test_welcome_back_is_rejected_on_review() -> None:
    defn = next(d for d in sample_definitions() if d.name == "welcome_back")
    assert defn.status == "PENDING"
    decision = review(defn)
    assert (decision.status, decision.rejected_reason) == ("REJECTED", "INVALID_FORMAT")
    assert [p.code for p in decision.problems] == ["VAR_AT_START"]


def test_sample_templates_are_fresh_copies() -> None:
    first = sample_templates()
    first[0]["components"].clear()
    assert sample_templates()[0]["components"]
    with pytest.raises(KeyError):
        sample_template("hello_world", "de")
