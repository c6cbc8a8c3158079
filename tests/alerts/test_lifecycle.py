"""The lifecycle as a pure function: stored state + finding → new state and at most one transition."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from alerts.lifecycle import NOTHING, State, StoredAlert, decide
from alerts.model import AlertKey, Rule, Severity, Transition
from alerts.rules import Finding

KEY = AlertKey(Rule.BEHIND_SCHEDULE, "预警甲区", "industrial_output", date(2018, 1, 1))
T0 = datetime(2018, 6, 10, 9, 0, tzinfo=UTC)
T1 = datetime(2018, 7, 10, 9, 0, tzinfo=UTC)


def finding(active: bool, severity: Severity = Severity.WARNING, message: str = "落后", month: str = "5") -> Finding:
    return Finding(KEY, active, severity, message, {"month": month})


def replay(stored: StoredAlert | None, *findings: Finding, at: datetime = T0) -> tuple[StoredAlert | None, list]:
    """Apply findings one after the other as the store does; the final state and the transitions."""
    transitions = []
    for f in findings:
        outcome = decide(stored, f, at)
        if outcome.alert is not None:
            stored = outcome.alert
        if outcome.transition is not None:
            transitions.append(outcome.transition)
    return stored, transitions


def test_fires_once_with_version_one():
    outcome = decide(None, finding(True), T0)
    assert outcome.transition is not None
    assert (outcome.transition.transition, outcome.transition.version, outcome.transition.severity) == (
        Transition.FIRED,
        1,
        Severity.WARNING,
    )
    assert outcome.transition.occurred_at == T0 and outcome.transition.message == "落后"
    assert outcome.alert == StoredAlert(KEY, State.FIRING, Severity.WARNING, 1, "落后", {"month": "5"}, T0, T0, None)
    # The same finding again (a restart, a replay) changes nothing.
    assert decide(outcome.alert, finding(True), T1) == NOTHING


def test_no_alert_and_condition_clear_is_nothing_and_no_judgement_is_nothing():
    assert decide(None, finding(False), T0) == NOTHING
    fired = decide(None, finding(True), T0).alert
    assert decide(fired, None, T1) == NOTHING  # unknown is not "clear"


def test_escalates_then_deescalates_on_severity_change():
    stored, transitions = replay(None, finding(True), finding(True, Severity.CRITICAL, "半年落后", "6"))
    assert [(t.transition, t.version, t.severity) for t in transitions] == [
        (Transition.FIRED, 1, Severity.WARNING),
        (Transition.ESCALATED, 2, Severity.CRITICAL),
    ]
    assert stored is not None and stored.severity is Severity.CRITICAL and stored.message == "半年落后"
    stored, more = replay(stored, finding(True, Severity.WARNING, "7月落后", "7"), at=T1)
    assert [(t.transition, t.version, t.severity) for t in more] == [(Transition.DEESCALATED, 3, Severity.WARNING)]
    assert stored.fired_at == T0 and stored.updated_at == T1


def test_new_figures_at_the_same_severity_update_silently():
    fired = decide(None, finding(True), T0).alert
    outcome = decide(fired, finding(True, message="1-6月仍落后", month="6"), T1)
    assert outcome.transition is None
    assert outcome.alert is not None
    assert (outcome.alert.message, outcome.alert.figures, outcome.alert.version) == ("1-6月仍落后", {"month": "6"}, 1)
    assert outcome.alert.updated_at == T1 and outcome.alert.fired_at == T0


def test_resolves_keeping_its_last_severity_then_can_fire_again():
    stored, transitions = replay(
        None,
        finding(True),
        finding(True, Severity.CRITICAL),
        finding(False, Severity.CRITICAL, "已达序时进度"),
        finding(False, Severity.CRITICAL, "已达序时进度"),  # replayed: nothing more
    )
    assert [(t.transition, t.version, t.severity) for t in transitions] == [
        (Transition.FIRED, 1, Severity.WARNING),
        (Transition.ESCALATED, 2, Severity.CRITICAL),
        (Transition.RESOLVED, 3, Severity.CRITICAL),
    ]
    assert transitions[-1].message == "已达序时进度"
    assert stored is not None and stored.state is State.RESOLVED and stored.resolved_at == T0
    again = decide(stored, finding(True), T1)
    assert again.transition is not None
    assert (again.transition.transition, again.transition.version) == (Transition.FIRED, 4)
    assert again.alert is not None and again.alert.resolved_at is None and again.alert.fired_at == T1


def test_a_finding_for_another_alert_is_refused():
    other = Finding(
        AlertKey(Rule.SHARP_SWING, "预警甲区", "industrial_output", date(2018, 5, 1)), True, Severity.INFO, "x"
    )
    fired = decide(None, finding(True), T0).alert
    with pytest.raises(ValueError, match="applied to the alert"):
        decide(fired, other, T1)
