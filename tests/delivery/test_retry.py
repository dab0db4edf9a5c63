"""hookhub.delivery.retry: Rocket.Chat's delay strategies and which failed answers are worth repeating.

``retry.py`` has no cap and does not read ``Retry-After``: the number of tries is capped by the
integration's ``retry_count`` and a longer ``Retry-After`` is applied by the outgoing service
(``hookhub/outgoing/service.py``, via ``delivery.http.retry_after``, tested in test_http.py).
"""

from __future__ import annotations

import typing

import pytest

from hookhub.config import IntegrationConfig
from hookhub.delivery.retry import RETRYABLE_4XX, STRATEGIES, SUCCESS, delay_ms, retryable


@pytest.mark.parametrize(("strategy", "expected"), [
    ("powers-of-ten", [100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]),
    ("powers-of-two", [2_000, 4_000, 8_000, 16_000, 32_000, 64_000]),
    ("increments-of-two", [2_000, 4_000, 6_000, 8_000, 10_000, 12_000]),
])
def test_each_strategy_follows_rocket_chats_formula(strategy: str, expected: list[int]) -> None:
    got = [delay_ms(strategy, tries) for tries in range(len(expected))]
    assert got == expected
    assert all(isinstance(d, int) for d in got)


def test_growth_is_exponential_or_linear_and_never_capped_here() -> None:
    for tries in range(1, 12):
        assert delay_ms("powers-of-ten", tries) == 10 * delay_ms("powers-of-ten", tries - 1)
        assert delay_ms("powers-of-two", tries) == 2 * delay_ms("powers-of-two", tries - 1)
        assert delay_ms("increments-of-two", tries) - delay_ms("increments-of-two", tries - 1) == 2_000
    # no ceiling: the retry_count of the integration bounds how far this goes
    assert delay_ms("powers-of-two", 20) == 2**21 * 1000
    assert delay_ms("powers-of-ten", 10) == 10**12


def test_an_unknown_strategy_names_the_known_ones() -> None:
    with pytest.raises(ValueError) as caught:
        delay_ms("fibonacci", 0)
    assert str(caught.value) == ("unknown retry_delay 'fibonacci'; use one of: "
                                 "powers-of-ten, powers-of-two, increments-of-two")


def test_the_strategies_are_the_ones_the_config_accepts() -> None:
    field = IntegrationConfig.model_fields["retry_delay"]
    assert set(typing.get_args(field.annotation)) == set(STRATEGIES)
    assert field.default in STRATEGIES
    for strategy in STRATEGIES:
        assert delay_ms(strategy, 0) > 0


@pytest.mark.parametrize("status", [None, 500, 502, 503, 504, 599, *RETRYABLE_4XX])
def test_network_errors_5xx_and_try_again_later_answers_are_retried(status: int | None) -> None:
    assert retryable(status)
    assert retryable(status, client_errors=True)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 410, 422, 499])
def test_other_client_errors_are_retried_only_when_configured(status: int) -> None:
    assert not retryable(status)
    assert retryable(status, client_errors=True)


@pytest.mark.parametrize("status", [*SUCCESS, 100, 204, 301, 302, 304, 399])
def test_answers_below_400_are_never_retried(status: int) -> None:
    assert not retryable(status)
    assert not retryable(status, client_errors=True)


def test_the_status_sets() -> None:
    assert SUCCESS == (200, 201, 202)  # 204 is not a success for Rocket.Chat
    assert RETRYABLE_4XX == (408, 425, 429)
