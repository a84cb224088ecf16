"""Draw the figures of docs/paths.md from the synthetic data: python docs/_ext/paths_figures.py."""

from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import useropslib as uo

OUT = pathlib.Path(__file__).resolve().parents[1] / "img"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    data = uo.datasets.synthetic(n_users=3000, days=90, seed=7)
    log = data.events
    figs = {
        "paths_sessions.png": uo.paths.session_metrics(log, period="week").plot,
        "paths_flow.png": uo.paths.paths(log, start="app_open", steps=4, edge_limit=20).plot,
        "paths_step_matrix.png": uo.paths.step_matrix(
            log, steps=6, exclude=["message_delivered"]
        ).plot,
        "paths_core.png": uo.paths.core_path(log, steps=list(uo.datasets.ONBOARDING_STEPS)).plot,
        "paths_aha.png": uo.churn.aha_moments(log, thresholds=range(1, 6)).plot,
    }
    for name, draw in figs.items():
        fig, ax = plt.subplots(figsize=(8, 4.5))
        draw(ax=ax)
        fig.tight_layout()
        fig.savefig(OUT / name, dpi=80)
        plt.close(fig)


if __name__ == "__main__":
    main()
