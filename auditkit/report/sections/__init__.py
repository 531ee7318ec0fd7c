"""What the compliance report says, section by section: a saved run in, escaped HTML out.

The report notebook (`notebooks/compliance_report.ipynb`) is a parameters cell
and one call per section, so everything it shows is tested here. Every value
reaches the page through `auditkit.render.html`, which escapes it; charts are
static PNG images embedded in the page. The order and numbering of the
sections is `common.CONTENTS`.
"""

from auditkit.report.sections.appendix import catalogue, manifest, segments
from auditkit.report.sections.common import CONTENTS
from auditkit.report.sections.front import (
    conclusion,
    conclusion_facts,
    conclusion_text,
    contents,
    methodology,
    scope,
    title_block,
)
from auditkit.report.sections.quality import data_quality
from auditkit.report.sections.results import control_exceptions, reason_codes, results_by_rule
from auditkit.report.sections.review import review_section as review
from auditkit.report.sections.review import signoff_section as signoff
from auditkit.report.sections.sample import sample_section as sample

__all__ = [
    "CONTENTS",
    "catalogue",
    "conclusion",
    "conclusion_facts",
    "conclusion_text",
    "contents",
    "control_exceptions",
    "data_quality",
    "manifest",
    "methodology",
    "reason_codes",
    "results_by_rule",
    "review",
    "sample",
    "scope",
    "segments",
    "signoff",
    "title_block",
]
