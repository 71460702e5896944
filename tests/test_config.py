"""Timeouts and Limits: constructor forms, conversion and validation."""

from __future__ import annotations

import dataclasses
import math

import pytest

from trio_http import Limits, Timeouts
from trio_http._config import DEFAULT_LIMITS, DEFAULT_TIMEOUT

PHASES = ("connect", "read", "write", "pool")


def phases(timeouts: Timeouts) -> tuple[float | None, ...]:
    return tuple(getattr(timeouts, name) for name in PHASES)


# -- Timeouts ------------------------------------------------------------------


def test_a_single_number_sets_every_phase_but_not_total() -> None:
    timeouts = Timeouts(5)
    assert phases(timeouts) == (5.0, 5.0, 5.0, 5.0)
    assert timeouts.total is None
    assert all(isinstance(value, float) for value in phases(timeouts))


def test_none_means_no_limits_at_all() -> None:
    timeouts = Timeouts(None)
    assert phases(timeouts) == (None, None, None, None)
    assert timeouts.total is None


def test_default_with_one_phase_overridden() -> None:
    timeouts = Timeouts(5, read=30)
    assert phases(timeouts) == (5.0, 30.0, 5.0, 5.0)


def test_one_keyword_alone_keeps_the_defaults_for_the_others() -> None:
    timeouts = Timeouts(connect=1)
    assert timeouts.connect == 1.0
    assert timeouts.read == DEFAULT_TIMEOUT.read
    assert timeouts.write == DEFAULT_TIMEOUT.write
    assert timeouts.pool == DEFAULT_TIMEOUT.pool
    assert timeouts.total is None


def test_no_arguments_gives_the_default_timeouts() -> None:
    assert Timeouts() == DEFAULT_TIMEOUT
    assert DEFAULT_TIMEOUT.connect is not None
    assert DEFAULT_TIMEOUT.read is not None


def test_a_keyword_can_disable_one_phase() -> None:
    timeouts = Timeouts(connect=1, read=None)
    assert timeouts.read is None
    assert timeouts.write == DEFAULT_TIMEOUT.write


def test_total_is_set_separately() -> None:
    timeouts = Timeouts(5, total=60)
    assert timeouts.total == 60.0
    assert phases(timeouts) == (5.0, 5.0, 5.0, 5.0)


def test_zero_is_allowed() -> None:
    assert phases(Timeouts(0)) == (0.0, 0.0, 0.0, 0.0)


def test_equal_settings_compare_equal_and_hash_alike() -> None:
    assert Timeouts(5) == Timeouts(5.0)
    assert hash(Timeouts(5)) == hash(Timeouts(5.0))
    assert Timeouts(5) != Timeouts(6)


@pytest.mark.parametrize("value", ["5", b"5", True, False, [1], object()])
def test_non_numbers_are_a_type_error(value: object) -> None:
    with pytest.raises(TypeError):
        Timeouts(value)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Timeouts(read=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-1, -0.001, math.nan])
def test_negative_or_nan_seconds_are_a_value_error(value: float) -> None:
    with pytest.raises(ValueError):
        Timeouts(value)
    with pytest.raises(ValueError):
        Timeouts(total=value)
    with pytest.raises(ValueError):
        Timeouts(connect=value)


def test_infinity_is_accepted() -> None:
    assert Timeouts(math.inf).read == math.inf


def test_from_value_with_a_number() -> None:
    assert Timeouts.from_value(3) == Timeouts(3)
    assert Timeouts.from_value(2.5).connect == 2.5


def test_from_value_with_none_has_no_limits() -> None:
    assert phases(Timeouts.from_value(None)) == (None, None, None, None)


def test_from_value_with_a_connect_read_tuple() -> None:
    timeouts = Timeouts.from_value((3, 27))
    assert timeouts.connect == 3.0
    assert timeouts.read == 27.0
    # requests' tuple has two values: writing follows read, pool follows connect.
    assert timeouts.write == 27.0
    assert timeouts.pool == 3.0
    assert timeouts.total is None


def test_from_value_with_a_tuple_containing_none() -> None:
    timeouts = Timeouts.from_value((None, 5))
    assert timeouts.connect is None
    assert timeouts.read == 5.0


def test_from_value_returns_a_timeouts_unchanged() -> None:
    timeouts = Timeouts(1, total=9)
    assert Timeouts.from_value(timeouts) is timeouts


@pytest.mark.parametrize("value", ["5", True, False, (1, 2, 3), (1,), [1, 2], {"read": 1}])
def test_from_value_rejects_other_types(value: object) -> None:
    with pytest.raises(TypeError):
        Timeouts.from_value(value)


@pytest.mark.parametrize("value", [-1, math.nan, (-1, 5), (5, math.nan)])
def test_from_value_rejects_bad_seconds(value: object) -> None:
    with pytest.raises(ValueError):
        Timeouts.from_value(value)


def test_from_value_tuple_of_strings_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        Timeouts.from_value(("1", "2"))


def test_timeouts_are_frozen() -> None:
    timeouts = Timeouts(5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        timeouts.read = 1  # type: ignore[misc]
    assert timeouts.read == 5.0


# -- Limits --------------------------------------------------------------------


def test_default_limits() -> None:
    limits = Limits()
    assert limits == DEFAULT_LIMITS
    assert limits.max_connections == 100
    assert limits.max_keepalive_connections == 20
    assert limits.keepalive_expiry == 5.0
    assert limits.max_connections_per_host is None


def test_limits_accept_none_for_no_limit() -> None:
    limits = Limits(
        max_connections=None,
        max_keepalive_connections=None,
        keepalive_expiry=None,
        max_connections_per_host=None,
    )
    assert limits.max_connections is None
    assert limits.keepalive_expiry is None


def test_zero_keepalive_connections_is_allowed() -> None:
    assert Limits(max_keepalive_connections=0).max_keepalive_connections == 0
    assert Limits(keepalive_expiry=0).keepalive_expiry == 0


@pytest.mark.parametrize(
    "field", ["max_connections", "max_keepalive_connections", "max_connections_per_host"]
)
@pytest.mark.parametrize("value", [-1, 1.5, "10", True])
def test_limits_reject_counts_that_are_not_whole_numbers(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        Limits(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["max_connections", "max_connections_per_host"])
def test_a_connection_limit_of_zero_is_rejected(field: str) -> None:
    with pytest.raises(ValueError, match="0"):
        Limits(**{field: 0})


@pytest.mark.parametrize("value", [-1, math.nan])
def test_keepalive_expiry_must_be_non_negative(value: float) -> None:
    with pytest.raises(ValueError):
        Limits(keepalive_expiry=value)


def test_keepalive_expiry_must_be_a_number() -> None:
    with pytest.raises(TypeError):
        Limits(keepalive_expiry="5")  # type: ignore[arg-type]


def test_limits_are_frozen() -> None:
    limits = Limits()
    with pytest.raises(dataclasses.FrozenInstanceError):
        limits.max_connections = 5  # type: ignore[misc]
    assert limits.max_connections == 100
