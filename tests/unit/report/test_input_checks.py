"""The report entry points refuse odd parameters with a typed error."""

from __future__ import annotations

import pytest

from useropslib.datasets import synthetic
from useropslib.exceptions import InvalidParameterError
from useropslib.report import campaign_sections, operations_report


def test_a_review_that_is_not_one_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match="review must be a campaign review"):
        campaign_sections(None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"charts": "no"}, r"Invalid charts='no' \(str\). Expected True or False"),
        ({"progress": True}, "Invalid progress=bool. Expected a callable"),
        ({"extra_sections": None}, "Invalid extra_sections=NoneType. Expected a list of Section"),
    ],
)
def test_operations_report_checks_its_options(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        operations_report(synthetic(n_users=30, days=20, seed=1).events, **kwargs)  # type: ignore[arg-type]


def test_campaign_charts_wants_a_review_and_a_part_key() -> None:
    import pandas as pd

    from useropslib.exceptions import InvalidParameterError
    from useropslib.report import campaign_charts

    with pytest.raises(InvalidParameterError, match="review must be a CampaignReview"):
        campaign_charts(pd.DataFrame(), "lift")

    class FakeReview:
        def parts(self) -> list[object]:
            return []

    with pytest.raises(InvalidParameterError, match="key must be the name of a part"):
        campaign_charts(FakeReview(), pd.DataFrame())  # type: ignore[arg-type]
