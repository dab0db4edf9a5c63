"""hookhub.sandbox.base: the spec a sandbox loads and the outcome of a call."""

from __future__ import annotations

import dataclasses

import pytest

from hookhub.records import Limits
from hookhub.sandbox.base import CallOutcome, ScriptSpec


def spec(**changes: object) -> ScriptSpec:
    base = ScriptSpec("gh", "python", "class Script: pass\n", "gh.py")
    return dataclasses.replace(base, **changes) if changes else base


def test_the_digest_is_stable_for_equal_specs() -> None:
    assert spec().digest == spec().digest
    assert len(spec().digest) == 64


@pytest.mark.parametrize("change", [
    {"integration_id": "other"},
    {"engine": "javascript"},
    {"source": "class Script:\n    pass\n"},
    {"filename": "other.py"},
    {"limits": Limits(timeout_ms=1234)},
    {"allow_hosts": ("api.github.com",)},
    {"allow_private": True},
], ids=lambda c: next(iter(c)))
def test_every_field_that_changes_the_script_changes_the_digest(change: dict[str, object]) -> None:
    assert spec(**change).digest != spec().digest


def test_fields_are_separated_in_the_digest() -> None:
    """Moving characters from one field to the next is a different script."""
    assert spec(integration_id="ab", engine="c").digest != spec(integration_id="a", engine="bc").digest


def test_a_lone_surrogate_in_the_source_still_has_a_digest() -> None:
    assert spec(source="x = '\ud800'").digest != spec().digest


def test_a_spec_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec().source = "changed"  # type: ignore[misc]


def test_an_outcome_defaults_to_nothing_changed() -> None:
    outcome = CallOutcome(ok=True, value={"a": 1})
    assert (outcome.reason, outcome.saturated, outcome.retry_after, outcome.store, outcome.changes) == \
        (None, False, None, None, None)
    assert outcome.logs == [] and outcome.logs is not CallOutcome(ok=True).logs
