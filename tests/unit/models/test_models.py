"""Models: frozen, extra='forbid', lossless JSON, JSON Schema; window and period parsing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pydantic import ValidationError

from useropslib.exceptions import InvalidParameterError
from useropslib.models import Event, IdentityLink, parse_period, parse_week_start, parse_window

T = dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.mark.parametrize(
    "event",
    [
        Event(user_id="u1", event="purchase", timestamp=T, value=9.5, properties={"sku": "a"}),
        Event(user_id=42, event="open", timestamp=T),
        Event(anonymous_id="dev-1", event="open", timestamp=T, properties={"n": 1, "ok": True}),
    ],
)
def test_event_json_round_trip(event: Event) -> None:
    again = Event.model_validate_json(event.model_dump_json())
    assert again == event
    assert again.timestamp == event.timestamp
    assert again.model_dump_json() == event.model_dump_json()


def test_event_is_frozen_and_forbids_extra() -> None:
    e = Event(user_id="u1", event="x", timestamp=T)
    with pytest.raises(ValidationError, match="frozen"):
        e.event = "y"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Event(user_id="u1", event="x", timestamp=T, colour="red")  # type: ignore[call-arg]


def test_event_rejects_bad_values() -> None:
    with pytest.raises(ValidationError, match="Input should have timezone info"):
        Event(user_id="u1", event="x", timestamp=dt.datetime(2024, 1, 1))
    with pytest.raises(ValidationError, match="needs a user_id or an anonymous_id"):
        Event(event="x", timestamp=T)
    with pytest.raises(ValidationError, match="user_id must not be empty or blank"):
        Event(user_id=" ", event="x", timestamp=T)
    with pytest.raises(ValidationError, match="event must not be blank"):
        Event(user_id="u", event="  ", timestamp=T)
    with pytest.raises(ValidationError, match="value must be a finite number"):
        Event(user_id="u", event="x", timestamp=T, value=float("nan"))


def test_json_schema_export() -> None:
    schema = Event.model_json_schema()
    assert set(schema["required"]) == {"event", "timestamp"}
    assert schema["additionalProperties"] is False
    assert schema["properties"]["timestamp"]["format"] == "date-time"
    json.dumps(schema)
    link = IdentityLink.model_json_schema()
    assert set(link["required"]) == {"anonymous_id", "user_id"}


def test_identity_link_round_trip() -> None:
    link = IdentityLink(anonymous_id="d", user_id=7)
    assert IdentityLink.model_validate_json(link.model_dump_json()) == link


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7D", dt.timedelta(days=7)),
        ("7d", dt.timedelta(days=7)),
        ("2W", dt.timedelta(weeks=2)),
        ("30min", dt.timedelta(minutes=30)),
        ("24h", dt.timedelta(hours=24)),
        ("90s", dt.timedelta(seconds=90)),
        (" 3 days ", dt.timedelta(days=3)),
        ("1.5h", dt.timedelta(minutes=90)),
        (dt.timedelta(hours=1), dt.timedelta(hours=1)),
    ],
)
def test_parse_window(text: str | dt.timedelta, expected: dt.timedelta) -> None:
    assert parse_window(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("7", "Cannot read window '7'. Expected a positive number followed by a unit"),
        ("-1D", "Cannot read window '-1D'"),
        ("0D", "Window must be positive, got '0D'"),
        ("1M", "uses unit 'M', which has no fixed length.*period='month'"),
        ("3 fortnights", "Unknown unit 'fortnights'"),
        ("5 dayz", "Unknown unit 'dayz'.*Did you mean 'day"),
        (7, "Invalid window 7 of type int"),
        (dt.timedelta(0), "Window must be positive"),
    ],
)
def test_parse_window_errors(text: object, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        parse_window(text)  # type: ignore[arg-type]


def test_parse_period_and_week_start() -> None:
    assert parse_period("MONTH") == "month"
    with pytest.raises(InvalidParameterError, match=r"Unsupported period 'quarter'"):
        parse_period("quarter")
    assert parse_week_start("Sun") == 6
    with pytest.raises(InvalidParameterError, match="Invalid week_start=7"):
        parse_week_start(7)
    with pytest.raises(InvalidParameterError, match="Invalid week_start=True"):
        parse_week_start(True)
