"""Event-name fields of the models refuse values that are not names or lists of names."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from useropslib.models import ConversionSpec, OrdersSpec, ReactivatedUsersSpec


@pytest.mark.parametrize("value", [True, 5, 1.5, b"buy", {"a": 1}])
def test_an_event_field_given_a_non_collection_is_a_validation_error(value: object) -> None:
    with pytest.raises(ValidationError, match="must be an event name or a list of event names"):
        OrdersSpec(purchase_event=value)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="must be an event name or a list of event names"):
        ReactivatedUsersSpec(activity_events=value)  # type: ignore[arg-type]


def test_steps_given_a_flag_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="steps must be an event name or a list"):
        ConversionSpec(steps=True)  # type: ignore[arg-type]


def test_names_still_accept_one_name_or_a_list() -> None:
    assert OrdersSpec(purchase_event="buy").purchase_event in ("buy", ("buy",))


def test_activity_events_is_the_one_name_and_stored_specs_with_the_old_names_still_load() -> None:
    from useropslib.models import ActiveUsersSpec, ARPUSpec

    new = ActiveUsersSpec(activity_events="open")
    assert new.activity_events == ("open",)
    old = ActiveUsersSpec.model_validate({"kind": "active_users", "event": "open"})
    assert old == new
    assert ReactivatedUsersSpec.model_validate({"event": ["a", "b"]}).activity_events == ("a", "b")
    assert ARPUSpec.model_validate({"active_event": "open"}).activity_events == ("open",)
    # written back under the one name
    assert "activity_events" in new.model_dump_json()
    assert ActiveUsersSpec.model_validate_json(new.model_dump_json()) == new
