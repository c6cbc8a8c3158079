"""The alert lifecycle: stored state + a new finding → the new state and at most one transition.

Pure; the store (store.py) applies it under a lock in one transaction.

- no alert, condition on → fired (version 1)
- firing, condition on, higher / lower severity → escalated / deescalated
- firing, condition on, same severity → no transition; the message and figures
  are updated silently when they changed (a new month's figures)
- firing, condition off → resolved, keeping the severity it had
- resolved, condition on again → fired (a new episode, next version)
- anything else → nothing

So the same finding twice (a restart, a replayed result) changes nothing the
second time: no transition, no delivery, no event.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from alerts.model import AlertKey, AlertTransition, Severity, Transition
from alerts.rules import Finding


class State(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class StoredAlert:
    """One row of `alerts`: the current state of one identity."""

    key: AlertKey
    state: State
    severity: Severity
    version: int
    message: str
    figures: dict[str, str] = field(default_factory=dict)
    fired_at: datetime | None = None
    updated_at: datetime | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    """What to write: the alert's new row (None: leave it) and the transition (None: no event)."""

    alert: StoredAlert | None
    transition: AlertTransition | None


NOTHING = Outcome(None, None)


def decide(stored: StoredAlert | None, finding: Finding | None, now: datetime) -> Outcome:
    """The lifecycle step for one identity; `finding` None means no judgement possible (leave it)."""
    if finding is None:
        return NOTHING
    if stored is not None and stored.key != finding.key:
        raise ValueError(f"finding for {finding.key} applied to the alert {stored.key}")

    def transition(kind: Transition, version: int, severity: Severity) -> AlertTransition:
        return AlertTransition(finding.key, version, kind, severity, finding.message, dict(finding.figures), now)

    if stored is None or stored.state is State.RESOLVED:
        if not finding.active:
            return NOTHING
        version = 1 if stored is None else stored.version + 1
        alert = StoredAlert(
            finding.key,
            State.FIRING,
            finding.severity,
            version,
            finding.message,
            dict(finding.figures),
            fired_at=now,
            updated_at=now,
            resolved_at=None,
        )
        return Outcome(alert, transition(Transition.FIRED, version, finding.severity))

    # Firing.
    if not finding.active:
        version = stored.version + 1
        alert = replace(
            stored,
            state=State.RESOLVED,
            version=version,
            message=finding.message,
            figures=dict(finding.figures),
            updated_at=now,
            resolved_at=now,
        )
        return Outcome(alert, transition(Transition.RESOLVED, version, stored.severity))
    if finding.severity.rank != stored.severity.rank:
        kind = Transition.ESCALATED if finding.severity.rank > stored.severity.rank else Transition.DEESCALATED
        version = stored.version + 1
        alert = replace(
            stored,
            severity=finding.severity,
            version=version,
            message=finding.message,
            figures=dict(finding.figures),
            updated_at=now,
        )
        return Outcome(alert, transition(kind, version, finding.severity))
    if finding.message != stored.message or finding.figures != stored.figures:
        alert = replace(stored, message=finding.message, figures=dict(finding.figures), updated_at=now)
        return Outcome(alert, None)
    return NOTHING
