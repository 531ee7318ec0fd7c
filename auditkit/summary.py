"""Plain-text summary of one evaluation, for the terminal."""

from __future__ import annotations

from auditkit.engine import AuditResult


def summary_text(result: AuditResult) -> str:
    verdicts = result.verdict_counts()
    total = sum(verdicts.values())
    lines = [f"as_of {result.params.as_of.isoformat()}: {total} requests"]
    lines += [f"  {name:<11} {count:>10}" for name, count in verdicts.items()]
    counts = result.rule_counts()
    failing = counts[(counts["fail"] > 0) | (counts["error"] > 0)]
    if len(failing):
        lines.append("failures by rule (fail / error):")
        lines += [
            f"  {rule_id}  {int(fail):>9} / {int(error):<7} {title}"
            for rule_id, fail, error, title in zip(
                failing.index, failing["fail"], failing["error"], failing["title"], strict=True
            )
        ]
    exceptions = result.exception_counts()
    lines.append("control exceptions: " + ", ".join(f"{k} {v}" for k, v in exceptions.items()))
    return "\n".join(lines)
