"""MkDocs hooks: draw the guides' figures and copy the notebooks into the site at build time.

Figures come from the library itself (``useropslib.plotting`` and the results' ``plot()``), so the
docs never show a chart the code no longer draws.  Both outputs are generated into the docs folder
(``docs/figures/``, ``docs/notebooks/``) and ignored by git.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import warnings
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FIGURES = DOCS / "figures"


def _save(ax: Any, name: str) -> None:
    import matplotlib.pyplot as plt

    ax.figure.savefig(FIGURES / name, dpi=96, bbox_inches="tight")
    plt.close(ax.figure)


def draw_figures() -> None:
    """Draw every figure the guides show."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import numpy as np
    import pandas as pd

    import useropslib as uo
    from useropslib import plotting

    FIGURES.mkdir(exist_ok=True)
    warnings.simplefilter("ignore")
    data = uo.datasets.synthetic(n_users=3000, days=150, seed=3)
    log = data.events

    # define churn
    th = uo.churn.infer_inactivity_threshold(log, activity_events=["app_open"])
    _save(th.plot(), "churn-return-curve.png")
    frame = uo.churn.survival_frame(
        log, th.definition, covariates=data.users[["user_id", "channel"]]
    )
    _save(uo.churn.kaplan_meier(frame, breakdown="channel").plot(), "churn-km.png")
    early = [c for c in frame.columns if c.startswith("early_") and frame[c].nunique() > 1][:6]
    drivers = uo.churn.ChurnDrivers(penalizer=0.01).fit(frame[["duration", "observed", *early]])
    _save(drivers.plot(), "churn-drivers.png")

    # retention and lifecycle (the report guide)
    ret = uo.metrics.retention(
        log, period="week", periods=8, cohort="first_time", start_event="signup"
    )
    _save(
        plotting.retention_heatmap(
            ret.rates.tail(8).drop(columns=[0]),
            incomplete=ret.incomplete.tail(8).drop(columns=[0]),
            sizes=ret.sizes.tail(8),
        ),
        "retention-heatmap.png",
    )
    _save(uo.metrics.lifecycle(log, period="week").plot(), "lifecycle.png")
    _save(
        uo.metrics.funnel(log, list(uo.datasets.ONBOARDING_STEPS), window="1D").plot(), "funnel.png"
    )

    # segments and RFM
    res = uo.segments.rfm(log)
    _save(res.plot(), "rfm-segments.png")
    _save(
        plotting.rfm_grid(pd.crosstab(res.table["f_score"], res.table["r_score"])), "rfm-grid.png"
    )

    # the purchase log
    tx = uo.datasets.load_cdnow_sample(as_frame=True)
    summary = uo.churn.rfm_summary(
        tx, customer_col="customer_id", time_col="date", value_col="dollars",
        calibration_end="1997-09-30", observation_end="1998-06-30", period="W",
    )  # fmt: skip
    bg = uo.churn.BetaGeoModel().fit(summary)
    t_max = float(summary["T"].max())
    freq, rec = np.arange(0, 15), np.linspace(0, t_max, 20)
    matrix = pd.DataFrame(
        [
            [
                float(bg.conditional_expected_purchases(13, f, r, t_max))
                if (f > 0 or r == 0)
                else np.nan  # no repeat purchase means recency 0
                for r in rec
            ]
            for f in freq
        ],
        index=freq,
        columns=rec.round(1),
    )
    _save(plotting.frequency_recency_matrix(matrix, horizon="13 weeks"), "cdnow-matrix.png")
    pred = bg.conditional_expected_purchases(
        summary["duration_holdout"], summary["frequency"], summary["recency"], summary["T"]
    )
    cmp = (
        pd.DataFrame(
            {
                "f": summary["frequency"].clip(upper=7),
                "actual": summary["frequency_holdout"],
                "model": np.asarray(pred),
            }
        )
        .groupby("f")
        .mean()
    )
    _save(
        plotting.purchases_calibration(cmp.index, cmp["actual"], cmp["model"]),
        "cdnow-calibration.png",
    )


def copy_notebooks() -> None:
    """Copy notebooks/*.ipynb into docs/notebooks/ for mkdocs-jupyter."""
    target = DOCS / "notebooks"
    target.mkdir(exist_ok=True)
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy(nb, target / nb.name)


def on_pre_build(config: Any, **kwargs: Any) -> None:
    """MkDocs hook: run before the site is built."""
    copy_notebooks()
    draw_figures()
