from __future__ import annotations

import logging
from pathlib import Path

from easymo_core.logs import mask_phones, redact, register_secret, setup_logging
from tests.fake_secrets import fake_token


def test_token_never_reaches_the_log_file(tmp_path: Path) -> None:
    log_file = tmp_path / "easymo.log"
    setup_logging(log_file=log_file)
    token = fake_token("GtestRegisteredToken")
    fresh = fake_token("XYZunregistered")  # caught by its shape alone
    secret = "s3cr3t-app-secret-value"
    register_secret(token)
    register_secret(secret)
    log = logging.getLogger("easymo.test")
    log.info("calling Graph with %s", token)
    log.info("headers={'Authorization': 'Bearer %s'}", token)
    log.info("secret is %s and a fresh one %s", secret, fresh)
    try:
        raise RuntimeError(f"request failed for token {token}")
    except RuntimeError:
        log.exception("boom")
    log.info("sending to +15551234567 and 447700900123")
    for handler in logging.getLogger().handlers:
        handler.flush()
    content = log_file.read_text()
    assert token not in content
    assert secret not in content
    assert fresh not in content
    assert "[REDACTED]" in content
    assert "15551234567" not in content and "…4567" in content and "…0123" in content
    setup_logging()  # detach the file handler


def test_debug_shows_phones(tmp_path: Path) -> None:
    log_file = tmp_path / "d.log"
    setup_logging(debug=True, log_file=log_file)
    logging.getLogger("easymo.test").debug("to 15551234567")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "15551234567" in log_file.read_text()
    setup_logging()


def test_helpers() -> None:
    assert mask_phones("wa_id 5511987654321 ok") == "wa_id …4321 ok"
    assert mask_phones("order 42 id 1234") == "order 42 id 1234"
    assert "hunter2hunter2" not in redact("access_token=hunter2hunter2&x=1")


def test_stderr_gets_one_line_and_the_file_gets_the_trace(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import logging

    from easymo_core.logs.setup import setup_logging

    log_file = tmp_path / "easymo.log"
    setup_logging(log_file=log_file)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("easymo.test").exception("unexpected error")
    err = capsys.readouterr().err
    assert "unexpected error" in err
    assert "Traceback" not in err
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "Traceback" in log_file.read_text()
    assert "ValueError: boom" in log_file.read_text()
