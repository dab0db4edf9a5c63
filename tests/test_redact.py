"""Secrets kept out of text meant for people."""

from __future__ import annotations

import pytest

from hookhub.redact import mask_url


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://hub:s3cr3t@db.example:5432/hookhub", "postgresql://hub:***@db.example:5432/hookhub"),
    ("postgresql+psycopg://hub:p@ss/w:rd@db/hookhub", "postgresql+psycopg://hub:***@db/hookhub"),
    ("postgresql://hub@db/hookhub", "postgresql://hub@db/hookhub"),
    ("postgresql://db/hookhub?user=hub&password=s3cr3t&x=1", "postgresql://db/hookhub?user=hub&password=***&x=1"),
    ("sqlite:////var/lib/hookhub/hookhub.db", "sqlite:////var/lib/hookhub/hookhub.db"),
])
def test_mask_url_hides_the_password_only(url: str, shown: str) -> None:
    assert mask_url(url) == shown
