"""What the front ends show, computed from evaluations: frames in, frames out, no widgets.

`summaries` (counts and breakdowns), `compare` (one diff for what-if and period
change), `findings` (filter, sort and page the per-rule results), `whatif`
(scenario edits and re-evaluation) and `evidence` (drill-down tables).
"""
