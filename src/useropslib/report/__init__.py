"""Reports: what ``useropslib demo`` writes, in Markdown and HTML, in English or Chinese."""

from useropslib.report._report import Report, log_report

__all__ = ["Report", "log_report"]
