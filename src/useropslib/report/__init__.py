"""Reports: the operations review of an event log, in Markdown and HTML, English or Chinese.

- :func:`operations_report`: the review with charts (what ``useropslib report`` writes).
- :func:`log_report`: the log summary it starts with.
- :class:`Report`, :class:`Section`, :class:`Chart`: the small section API; add any analysis to a
  report with ``report.with_sections(Section.from_result(title, result))``, save it with
  ``report.save("review.html")`` or ``report.write(folder)``.
- :func:`campaign_sections`: a campaign review (:func:`useropslib.campaigns.review`) as sections
  with their charts (what ``useropslib report --campaign plan.json`` adds);
  :func:`campaign_charts` draws one part's chart.
"""

from useropslib.report._campaign import campaign_charts, campaign_sections
from useropslib.report._operations import SECTION_KEYS, operations_report
from useropslib.report._report import Chart, Report, Section, log_report

__all__ = [
    "SECTION_KEYS",
    "Chart",
    "Report",
    "Section",
    "campaign_charts",
    "campaign_sections",
    "log_report",
    "operations_report",
]
