"""Reports: what ``useropslib demo`` writes, in Markdown and HTML, in English or Chinese."""

from useropslib.report._operations import operations_report
from useropslib.report._report import Report, Section, log_report

__all__ = ["Report", "Section", "log_report", "operations_report"]
