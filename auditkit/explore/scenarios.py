"""The What-if tab's scenario panel: name and save a scenario, load one back, compare several.

Scenarios are kept in the review register when the explorer has one (`--db`),
else in a JSON file (`reports/scenarios.json`); see `auditkit.review.scenarios`.
A scenario is saved with the outcome of its last Apply when the controls
still say what was applied; comparing shows the outcomes computed on the data
open now, and names the selected scenarios that have none yet.
"""

from __future__ import annotations

from typing import Protocol

import ipywidgets as widgets

from auditkit.analysis.edits import Edit
from auditkit.analysis.scenarios import Outcome, SavedScenario, Scenario, comparison
from auditkit.analysis.whatif import WhatIfDiff
from auditkit.errors import ParameterError
from auditkit.explore.controls import action, button, guarded, html_box, text_box
from auditkit.explore.workspace import Workspace
from auditkit.params import Params
from auditkit.render.html import heading, message, table
from auditkit.review.scenarios import ScenarioStore


class Controls(Protocol):
    """What the panel needs of the What-if tab: its workspace and its controls."""

    workspace: Workspace

    def params(self) -> Params: ...

    def edits(self) -> tuple[Edit, ...]: ...

    def set_params(self, p: Params, edits: tuple[Edit, ...] = ()) -> None: ...


class ScenarioPanel:
    """Save, load and compare named scenarios of one What-if tab."""

    def __init__(self, tab: Controls, store: ScenarioStore, reviewer: str) -> None:
        self.tab, self.store, self.reviewer = tab, store, reviewer or "unknown"
        self.last: WhatIfDiff | None = None
        self.saved: list[SavedScenario] = []
        self.name = text_box("Scenario name", "ak-sc-name", "e.g. strict J10, orders settled")
        self.save_button = button("Save scenario", "ak-sc-save", "success")
        self.choice = widgets.SelectMultiple(
            description="Saved", options=[], rows=5, layout=widgets.Layout(width="420px")
        )
        self.choice.add_class("ak-sc-saved")
        self.load_button = button("Load into the controls", "ak-sc-load")
        self.compare_button = button("Compare side by side", "ak-sc-compare", "info")
        self.message = html_box("ak-sc-message")
        self.table = html_box("ak-sc-table")
        action(self.save_button, self.save, self.message)
        self.load_button.on_click(guarded(self.load, self.message))
        self.compare_button.on_click(guarded(self.compare, self.message))
        self.widget = widgets.VBox(
            [
                html_box("ak-sc-heading", heading("Saved scenarios", 4)),
                html_box("ak-sc-where", message(f"kept in {store.label}")),
                widgets.HBox([self.name, self.save_button]),
                widgets.HBox([self.choice, widgets.VBox([self.load_button, self.compare_button])]),
                self.message,
                self.table,
            ]
        )
        self.widget.add_class("ak-scenarios")
        guarded(self.reload, self.message)()

    def reload(self) -> None:
        """Read the saved scenarios again (other sessions may have saved some)."""
        self.saved = self.store.list()
        chosen = set(self.choice.value)
        self.choice.options = [item.name for item in self.saved]
        self.choice.value = tuple(name for name in self.choice.options if name in chosen)

    def applied(self, diff: WhatIfDiff) -> None:
        self.last = diff

    def _outcome(self, scenario: Scenario) -> Outcome | None:
        """The last Apply's outcome, when it applied exactly this scenario."""
        last = self.last
        if last is None or last.params != scenario.params or last.edits != scenario.edits:
            return None
        return Outcome.of(last, self.tab.workspace.data_key)

    def save(self) -> SavedScenario:
        scenario = Scenario(self.name.value, self.tab.params(), self.tab.edits())
        outcome = self._outcome(scenario)
        replaced = scenario.name in self.choice.options
        saved = self.store.save(scenario, outcome, self.reviewer)
        self.reload()
        self.choice.value = (saved.name,)
        words = f"{'replaced' if replaced else 'saved'} scenario {saved.name!r}"
        words += (
            " with its outcome" if outcome else " without an outcome: Apply it, then save again"
        )
        self.message.value = message(words)
        return saved

    def _chosen(self) -> list[SavedScenario]:
        self.reload()
        picked = [item for item in self.saved if item.name in self.choice.value]
        if not picked:
            raise ParameterError("choose one or more saved scenarios in the list first")
        return picked

    def load(self) -> Scenario:
        """Put the first chosen scenario's parameters and edits into the controls."""
        scenario = self._chosen()[0].scenario
        self.tab.set_params(scenario.params, scenario.edits)
        self.name.value = scenario.name
        self.message.value = message(f"loaded {scenario.name!r}: press Apply to judge with it")
        return scenario

    def compare(self) -> None:
        """The chosen scenarios' outcomes on this data, side by side with the baseline."""
        picked = self._chosen()
        key = self.tab.workspace.data_key
        frame = comparison(picked, key)
        missing = [
            item.name for item in picked if item.outcome is None or item.outcome.data_key != key
        ]
        note = (
            message(
                "no outcome on this data yet (load, Apply and save them): " + ", ".join(missing)
            )
            if missing
            else ""
        )
        described = "".join(
            message(f"{item.name}: {item.describe()} (saved by {item.saved_by})") for item in picked
        )
        self.table.value = (
            heading("Scenarios side by side", 4)
            + (
                table(frame, css_class="ak-sc-compare", index=True, formats=True)
                if len(frame)
                else ""
            )
            + described
            + note
        )
        self.message.value = ""
