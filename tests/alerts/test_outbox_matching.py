"""Who receives which alert transitions (pure matching, no database)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from alerts.model import AlertKey, AlertTransition, Rule, Severity, Transition
from alerts.outbox import PastEvent, SubscriptionFilter, plan_digests, reach_severity

MAY_2015 = date(2015, 5, 1)
ALL = UUID(int=1)
JIA_ONLY = UUID(int=2)
CRITICAL_ONLY = UUID(int=3)
OUTPUT_BEHIND = UUID(int=4)


def sub(id_: UUID, zones=None, indicators=None, rules=None, min_severity=Severity.INFO) -> SubscriptionFilter:
    def f(values):
        return None if values is None else frozenset(values)

    return SubscriptionFilter(
        id=id_, zones=f(zones), indicators=f(indicators), rules=f(rules), min_severity=min_severity
    )


def key(zone="通知甲区", indicator="industrial_output", rule=Rule.BEHIND_SCHEDULE) -> AlertKey:
    return AlertKey(rule=rule, zone=zone, indicator=indicator, period=MAY_2015)


def transition(k: AlertKey, version: int, kind: Transition, severity: Severity) -> AlertTransition:
    return AlertTransition(key=k, version=version, transition=kind, severity=severity, message=f"{k.zone} v{version}")


SUBSCRIPTIONS = [
    sub(ALL),
    sub(JIA_ONLY, zones=["通知甲区"]),
    sub(CRITICAL_ONLY, min_severity=Severity.CRITICAL),
    sub(OUTPUT_BEHIND, indicators=["industrial_output"], rules=["behind_schedule"], min_severity=Severity.WARNING),
]


def test_filters_none_means_all_and_lists_restrict() -> None:
    fired = transition(
        key(zone="通知乙区", indicator="export", rule=Rule.NEGATIVE_GROWTH), 1, Transition.FIRED, Severity.WARNING
    )
    plan = plan_digests(SUBSCRIPTIONS, [fired])
    # Only the unfiltered subscription: 乙区 is not 甲区, warning < critical, export is not industrial_output.
    assert plan == {ALL: [fired]}


def test_severity_must_reach_the_minimum() -> None:
    info = transition(key(), 1, Transition.FIRED, Severity.INFO)
    critical = transition(key(zone="通知丙区"), 1, Transition.FIRED, Severity.CRITICAL)
    plan = plan_digests(SUBSCRIPTIONS, [info, critical])
    assert plan[ALL] == [info, critical]
    assert plan[JIA_ONLY] == [info]  # 甲区 only, any severity
    assert plan[CRITICAL_ONLY] == [critical]
    assert plan[OUTPUT_BEHIND] == [critical]  # info is below warning


def test_three_transitions_for_one_subscriber_are_one_digest() -> None:
    items = [
        transition(key(indicator="industrial_output"), 1, Transition.FIRED, Severity.WARNING),
        transition(key(indicator="fixed_asset_investment"), 1, Transition.FIRED, Severity.CRITICAL),
        transition(key(indicator="export", rule=Rule.NEGATIVE_GROWTH), 1, Transition.FIRED, Severity.WARNING),
    ]
    plan = plan_digests([sub(JIA_ONLY, zones=["通知甲区"])], items)
    assert list(plan) == [JIA_ONLY]
    assert plan[JIA_ONLY] == items


def test_resolved_reaches_whoever_was_told_of_the_firing() -> None:
    k = key()
    history = [
        PastEvent(k, 1, Transition.FIRED, Severity.WARNING),
        PastEvent(k, 2, Transition.ESCALATED, Severity.CRITICAL),
        PastEvent(k, 3, Transition.DEESCALATED, Severity.WARNING),
        PastEvent(k, 4, Transition.RESOLVED, Severity.WARNING),
    ]
    critical_only = [sub(CRITICAL_ONLY, min_severity=Severity.CRITICAL)]
    # The critical-only subscriber was told of the escalation (v2) ...
    assert plan_digests(critical_only, [transition(k, 2, Transition.ESCALATED, Severity.CRITICAL)], history)
    # ... so it is told when it eases (v3, warning) and when it clears (v4, carrying warning).
    eased = transition(k, 3, Transition.DEESCALATED, Severity.WARNING)
    resolved = transition(k, 4, Transition.RESOLVED, Severity.WARNING)
    assert plan_digests(critical_only, [eased, resolved], history) == {CRITICAL_ONLY: [eased, resolved]}


def test_resolved_of_an_alert_never_critical_does_not_reach_critical_only() -> None:
    k = key()
    history = [
        PastEvent(k, 1, Transition.FIRED, Severity.WARNING),
        PastEvent(k, 2, Transition.RESOLVED, Severity.WARNING),
    ]
    resolved = transition(k, 2, Transition.RESOLVED, Severity.WARNING)
    assert plan_digests([sub(CRITICAL_ONLY, min_severity=Severity.CRITICAL)], [resolved], history) == {}
    assert plan_digests([sub(ALL)], [resolved], history) == {ALL: [resolved]}


def test_the_peak_is_of_the_current_episode_only() -> None:
    k = key()
    history = [
        PastEvent(k, 1, Transition.FIRED, Severity.CRITICAL),
        PastEvent(k, 2, Transition.RESOLVED, Severity.CRITICAL),
        PastEvent(k, 3, Transition.FIRED, Severity.WARNING),  # fires again, milder: a new episode
        PastEvent(k, 4, Transition.RESOLVED, Severity.WARNING),
    ]
    assert reach_severity(history, k, 2, Severity.CRITICAL) == Severity.CRITICAL
    assert reach_severity(history, k, 4, Severity.WARNING) == Severity.WARNING
    # A history without the events still answers with the transition's own severity.
    assert reach_severity([], k, 4, Severity.WARNING) == Severity.WARNING


def test_already_queued_transitions_are_not_queued_again() -> None:
    fired = transition(key(), 1, Transition.FIRED, Severity.WARNING)
    plan = plan_digests([sub(ALL), sub(JIA_ONLY, zones=["通知甲区"])], [fired], already_queued=[(ALL, fired.key, 1)])
    assert plan == {JIA_ONLY: [fired]}
    # The same transition twice in one call is queued once.
    assert plan_digests([sub(ALL)], [fired, fired]) == {ALL: [fired]}
