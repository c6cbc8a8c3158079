"""The stage model, deadlines, overdue and late stages and the derived figures (indicators_core.projects), with the
figures a project office would check by hand. "Today" is always given."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from indicators_core.progress import Basis, completion_pct, progress_gap_pp, round_half_up
from indicators_core.projects import (
    DeadlinesError,
    InvestmentReport,
    Project,
    add_months,
    derived_figures,
    derived_year,
    investment_completion_pct,
    load_deadlines,
    months_to_derive,
    overdue_message,
    parse_deadlines,
    project_status,
    project_years,
    shanghai_today,
    stage_problems,
    version_changes,
    zone_investment_year,
)

D = date
DEADLINES = load_deadlines()


def project(pid: str = "P1", zone: str = "fcw", investment: str = "5", tier: str | None = None, **dates) -> Project:
    stages = {k: v for k, v in dates.items() if not k.startswith("planned_")}
    planned = {k.removeprefix("planned_"): v for k, v in dates.items() if k.startswith("planned_")}
    return Project(pid, zone, f"{pid}项目", Decimal(investment), stages, planned, tier=tier)


# ------------------------------------------------------------------ calendar


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2023, 3, 31), 3, D(2023, 6, 30)),
        (D(2023, 11, 15), 2, D(2024, 1, 15)),
        (D(2023, 12, 31), 2, D(2024, 2, 29)),
        (D(2023, 1, 10), 0, D(2023, 1, 10)),
    ],
)
def test_months_are_added_on_the_calendar_with_the_day_clamped_to_the_months_end(day, months, expected):
    assert add_months(day, months) == expected


def test_today_is_the_day_in_shanghai_not_in_utc():
    # 2023-03-10 17:30 UTC is already 11 March 01:30 in China.
    assert shanghai_today(datetime(2023, 3, 10, 17, 30, tzinfo=UTC)) == D(2023, 3, 11)
    assert shanghai_today(datetime(2023, 3, 10, 15, 59, tzinfo=UTC)) == D(2023, 3, 10)


# ------------------------------------------------------------------ stage order


def test_a_possible_history_has_no_problems_and_registered_may_stay_empty():
    stages = {"meeting": D(2023, 1, 5), "signed": D(2023, 1, 20), "land": D(2023, 3, 1), "start": D(2023, 5, 1)}
    assert stage_problems(stages, D(2023, 6, 1)) == []
    # The same day for two stages is no step backwards (签约即供地).
    assert stage_problems({"meeting": D(2023, 1, 5), "signed": D(2023, 1, 5)}, D(2023, 1, 5)) == []


def test_dates_going_backwards_in_the_future_or_skipping_a_stage_name_the_stage():
    today = D(2023, 6, 1)
    backwards = {"meeting": D(2023, 2, 1), "signed": D(2023, 1, 20), "registered": D(2023, 1, 25)}
    assert stage_problems(backwards, today) == [
        ("signed", "签约 2023-01-20 is before 上会 (meeting) 2023-02-01"),
        ("registered", "注册 2023-01-25 is before 上会 (meeting) 2023-02-01"),
    ]
    assert stage_problems({"meeting": D(2023, 6, 2)}, today) == [
        ("meeting", "上会 2023-06-02 is after today (2023-06-01)")
    ]
    assert stage_problems({"meeting": D(2023, 1, 1), "land": D(2023, 2, 1)}, today) == [
        ("land", "供地 has a date but 签约 (signed), which comes before it, has none")
    ]
    # 注册 after 供地 is a step backwards too: registered comes before land.
    late_registration = {
        "meeting": D(2023, 1, 1),
        "signed": D(2023, 1, 2),
        "registered": D(2023, 3, 1),
        "land": D(2023, 2, 1),
    }
    assert stage_problems(late_registration, today) == [
        ("land", "供地 2023-02-01 is before 注册 (registered) 2023-03-01")
    ]


# ------------------------------------------------------------------ deadlines, overdue, late


def test_the_default_deadlines_are_the_zones_practice():
    chosen = DEADLINES.for_project("any", None)
    assert {stage: (d.after, d.months, d.days) for stage, d in chosen.items()} == {
        "signed": ("meeting", 1, 0),
        "land": ("signed", 2, 0),
        "start": ("land", 3, 0),
        "production": ("completion", 1, 0),
    }


def test_signed_two_months_without_land_is_overdue_in_whole_days_with_the_message_a_subscriber_reads():
    fuchun = project("XX", meeting=D(2022, 12, 20), signed=D(2023, 1, 10))
    status = project_status(fuchun, DEADLINES, D(2023, 3, 25))
    (overdue,) = status.overdue
    assert (overdue.stage, overdue.due_on, overdue.days_overdue) == ("land", D(2023, 3, 10), 15)
    assert status.days_overdue == 15
    assert (status.current_stage, status.next_stage, status.next_due_on) == ("signed", "land", D(2023, 3, 10))
    assert overdue_message(fuchun, overdue, "富春湾新城") == (
        "富春湾新城 XX项目 签约后2个月未供地，已逾期15天（应于2023年3月10日前供地）"
    )
    # On the due date itself, and the day before, it is not overdue yet.
    assert project_status(fuchun, DEADLINES, D(2023, 3, 10)).overdue == ()
    # Its predecessor undated, a stage is never overdue: 开工 waits for 供地.
    assert [o.stage for o in project_status(fuchun, DEADLINES, D(2024, 1, 1)).overdue] == ["land"]


def test_a_planned_date_wins_over_the_default_deadline():
    planned = project(meeting=D(2023, 1, 1), signed=D(2023, 1, 10), planned_land=D(2023, 5, 31))
    assert project_status(planned, DEADLINES, D(2023, 4, 1)).overdue == ()
    (overdue,) = project_status(planned, DEADLINES, D(2023, 6, 3)).overdue
    assert (overdue.stage, overdue.due_on, overdue.days_overdue) == ("land", D(2023, 5, 31), 3)
    assert (
        overdue_message(planned, overdue)
        == "fcw P1项目 计划2023年5月31日供地，尚未供地，已逾期3天（应于2023年5月31日前供地）"
    )


def test_stages_reached_after_their_deadline_are_late():
    done = project(
        meeting=D(2023, 1, 31),
        signed=D(2023, 3, 15),
        land=D(2023, 4, 1),
        start=D(2023, 7, 20),
        completion=D(2024, 1, 5),
    )
    status = project_status(done, DEADLINES, D(2024, 3, 1))
    # 签约 was due on 2023-02-28 (Jan 31 + 1 month, clamped): 15 days late; 开工 due 2023-07-01: 19 days late.
    assert [(s.stage, s.due_on, s.done_on, s.days_late) for s in status.late] == [
        ("signed", D(2023, 2, 28), D(2023, 3, 15), 15),
        ("start", D(2023, 7, 1), D(2023, 7, 20), 19),
    ]
    # 竣工 2024-01-05: 投产 was due 2024-02-05, 25 days before 2024-03-01.
    assert [(o.stage, o.days_overdue) for o in status.overdue] == [("production", 25)]
    assert (status.current_stage, status.next_stage) == ("completion", "production")


def test_deadlines_are_overridden_per_tier_and_per_zone_the_zone_winning():
    deadlines = parse_deadlines(
        """
        [default]
        land = { after = "signed", months = 2 }
        start = { after = "land", months = 3 }
        [tier.province]
        start = { after = "land", months = 6 }
        land = { after = "signed", months = 4 }
        [zone."fcw"]
        land = { after = "signed", days = 45 }
        """
    )
    assert deadlines.for_project("other", None)["start"].months == 3
    assert deadlines.for_project("other", "province")["start"].months == 6
    fcw_province = deadlines.for_project("fcw", "province")
    assert (fcw_province["land"].days, fcw_province["start"].months) == (45, 6)
    signed = project(zone="fcw", tier="province", meeting=D(2023, 1, 1), signed=D(2023, 1, 10))
    (overdue,) = project_status(signed, deadlines, D(2023, 3, 1)).overdue
    assert (overdue.due_on, overdue.days_overdue, overdue.deadline.words) == (D(2023, 2, 24), 5, "45天")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[default]\nland = { after = "start", months = 2 }', "after = 'start' must be a stage before land"),
        ('[default]\nland = { after = "signed" }', "give exactly one of months or days"),
        ('[default]\nlanding = { after = "signed", months = 1 }', "unknown stage"),
        ('[tier.county]\nland = { after = "signed", months = 1 }', "unknown tier"),
        ('[defaults]\nland = { after = "signed", months = 1 }', "unknown table"),
        ('[default]\nland = { after = "signed", months = -1 }', "whole numbers, at least 0"),
    ],
)
def test_a_wrong_deadlines_file_fails_at_load_naming_the_entry(text, message):
    with pytest.raises(DeadlinesError, match=message):
        parse_deadlines(text)


# ------------------------------------------------------------------ derived figures


def test_83_projects_of_1亿_or_more_signed_by_june_against_150_are_55_3_percent_5_3_points_ahead():
    projects = [project(f"A{i}", investment="1", signed=D(2023, 1 + i % 6, 1 + i % 28)) for i in range(83)]
    projects += [project(f"B{i}", investment="0.99", signed=D(2023, 3, 3)) for i in range(7)]  # below 1亿
    projects += [project("C", investment="20", signed=D(2023, 7, 1))]  # after June
    projects += [project("D", investment="20", signed=D(2022, 12, 31))]  # last year
    june = derived_figures(projects, 2023, 6)
    assert june["projects_signed_100m"] == 83
    assert june["projects_signed"] == 90
    assert june["projects_signed_investment"] == Decimal("89.93")  # 83 × 1 + 7 × 0.99
    assert round_half_up(completion_pct(june["projects_signed_100m"], Decimal(150)), 1) == Decimal("55.3")
    assert round_half_up(progress_gap_pp(june["projects_signed_100m"], Decimal(150), 6), 1) == Decimal("5.3")
    assert derived_figures(projects, 2023, 7)["projects_signed_100m"] == 84


def test_rates_and_the_average_days_from_land_to_start():
    projects = [
        # planned to start in 2023 H1: 3 projects, 2 started by June → 开工率 66.7%
        project(
            "S1",
            signed=D(2023, 1, 5),
            registered=D(2023, 1, 9),
            land=D(2023, 2, 1),
            start=D(2023, 4, 23),
            planned_start=D(2023, 5, 1),
        ),
        project("S2", signed=D(2023, 1, 6), land=D(2023, 3, 1), start=D(2023, 6, 30), planned_start=D(2023, 6, 1)),
        project(
            "S3", signed=D(2023, 2, 6), registered=D(2023, 2, 10), land=D(2023, 4, 1), planned_start=D(2023, 6, 30)
        ),
        # planned in July: not in the June denominator; started last year: not in 2023's average
        project("S4", signed=D(2022, 5, 1), land=D(2022, 6, 1), start=D(2022, 9, 1), planned_start=D(2023, 7, 1)),
        # produced in 2023 against its plan; signed in the year without registering
        project(
            "P1",
            signed=D(2022, 1, 1),
            land=D(2022, 2, 1),
            start=D(2022, 3, 1),
            completion=D(2023, 3, 1),
            production=D(2023, 3, 20),
            planned_production=D(2023, 4, 1),
        ),
        project("P2", signed=D(2023, 5, 1), planned_production=D(2023, 6, 15)),
    ]
    june = derived_figures(projects, 2023, 6)
    assert (june["projects_started"], june["projects_in_production"]) == (2, 1)
    assert round_half_up(june["project_start_rate_pct"], 1) == Decimal("66.7")
    assert june["project_production_rate_pct"] == 50  # P1 of P1, P2
    # signed in 2023 by June: S1, S2, S3, P2; registered: S1, S3 → 50%
    assert june["project_registration_rate_pct"] == 50
    # S1: Feb 1 → Apr 23 = 81 days; S2: Mar 1 → Jun 30 = 121 days → 101
    assert june["land_to_start_avg_days"] == 101
    april = derived_figures(projects, 2023, 4)
    assert april["land_to_start_avg_days"] == 81
    # No project was planned to start by the end of April (S1 started early, planned for May): no rate, not 0%.
    assert april["project_start_rate_pct"] is None
    january = derived_figures(projects, 2023, 1)
    assert january["land_to_start_avg_days"] is None and january["project_start_rate_pct"] is None
    assert january["project_registration_rate_pct"] == 50  # S1 registered Jan 9, S2 not


def test_the_average_days_is_exact_not_rounded():
    projects = [
        project("a", signed=D(2023, 1, 1), land=D(2023, 1, 1), start=D(2023, 1, 2)),
        project("b", signed=D(2023, 1, 1), land=D(2023, 1, 1), start=D(2023, 1, 2)),
        project("c", signed=D(2023, 1, 1), land=D(2023, 1, 1), start=D(2023, 1, 3)),
    ]
    assert derived_figures(projects, 2023, 1)["land_to_start_avg_days"] == Decimal("1.333333333333")


def test_a_year_is_derived_month_by_month_up_to_the_month_that_has_begun():
    projects = [project("a", signed=D(2023, 3, 3)), project("b", signed=D(2023, 5, 31), investment="0.5")]
    year = derived_year(projects, 2023, 6)
    assert year["projects_signed"] == {1: 0, 2: 0, 3: 1, 4: 1, 5: 2, 6: 2}
    assert year["projects_signed_100m"] == {1: 0, 2: 0, 3: 1, 4: 1, 5: 1, 6: 1}
    assert year["projects_signed_investment"][6] == Decimal("5.5")
    assert year["project_registration_rate_pct"] == {3: 0, 4: 0, 5: 0, 6: 0}
    assert year["land_to_start_avg_days"] == {}
    assert [months_to_derive(y, D(2023, 6, 15)) for y in (2022, 2023, 2024)] == [12, 6, 0]
    assert project_years(project("c", signed=D(2022, 12, 1), planned_start=D(2024, 1, 1))) == {2022, 2024}


# ------------------------------------------------------------------ completed investment


def test_completed_investment_sums_the_projects_and_tracks_each_against_its_plan():
    a = Project(
        "A",
        "fcw",
        "甲",
        Decimal(10),
        {"signed": D(2022, 1, 1)},
        annual_plan_investment={2023: Decimal("12.5")},
        completed_investment=(
            InvestmentReport(2023, 1, Basis.YTD, Decimal("1.2")),
            InvestmentReport(2023, 2, Basis.MONTH, Decimal("0.8")),  # 当月 → 本年累计 2.0
            InvestmentReport(2023, 3, Basis.YTD, Decimal("3.2")),
        ),
    )
    b = Project(
        "B",
        "fcw",
        "乙",
        Decimal(3),
        {"signed": D(2022, 1, 1)},
        completed_investment=(InvestmentReport(2023, 2, Basis.YTD, Decimal("0.5")),),
    )
    # January: A alone; February: 2.0 + 0.5; March: 3.2 + B's February 0.5 (nothing reported since).
    assert zone_investment_year([a, b], 2023) == {1: Decimal("1.2"), 2: Decimal("2.5"), 3: Decimal("3.7")}
    assert zone_investment_year([a, b], 2022) == {}
    assert investment_completion_pct(a, 2023, 3) == Decimal("25.6")  # 3.2 / 12.5
    assert investment_completion_pct(a, 2023, 12) == Decimal("25.6")
    assert investment_completion_pct(b, 2023, 3) is None  # no plan


# ------------------------------------------------------------------ versions


def test_a_versions_changes_name_the_fields_and_each_stage():
    first = {"name": "甲", "tier": None, "stages": {"signed": "2023-01-01"}, "planned": {}}
    assert version_changes(None, first) == ["name", "stages.signed"]
    second = {"name": "甲", "tier": "city", "stages": {"signed": "2023-01-01", "land": "2023-03-01"}, "planned": {}}
    assert version_changes(first, second) == ["tier", "stages.land"]
    assert version_changes(second, second) == []
