"""lending/arrangements.py: allocation, grace days, verdicts, transitions, standing."""
import datetime as dt
from decimal import Decimal

import pytest

from lending.arrangements import (
    ArrangementFacts,
    Instalment,
    TransitionError,
    allocate,
    broke_on,
    check_transition,
    date_move,
    instalment_status,
    standing,
    verdict,
)
from lending.policy import load_policy
from store.models import ArrangementKind as Kind
from store.models import ArrangementStatus as Status
from store.models import InstalmentStatus

D = Decimal
JAN = dt.date(2027, 1, 14)


def three(paid=(0, 0, 0)):
    dues = [dt.date(2026, 12, 14), JAN, dt.date(2027, 2, 14)]
    amounts = [D("151.16"), D("151.16"), D("151.18")]
    return [Instalment(n + 1, dues[n], amounts[n], D(str(paid[n]))) for n in range(3)]


def plan(status=Status.ACTIVE, paid=(0, 0, 0), id=1, kind=Kind.PLAN, grace=3):
    return ArrangementFacts(id, "A-1", kind, status, dt.date(2026, 12, 7), dt.date(2027, 2, 14), "USD",
                            tuple(three(paid)), grace)


class TestAllocation:
    def test_a_part_payment_goes_to_the_earliest_instalment(self):
        taken, left = allocate(three(), D("100"))
        assert taken == [(1, D("100"))] and left == 0

    def test_a_payment_larger_than_an_instalment_pays_the_next_ones_in_advance(self):
        taken, left = allocate(three(), D("200"))
        assert taken == [(1, D("151.16")), (2, D("48.84"))] and left == 0

    def test_a_part_paid_instalment_is_topped_up_before_the_next(self):
        taken, _ = allocate(three(paid=(100, 0, 0)), D("60"))
        assert taken == [(1, D("51.16")), (2, D("8.84"))]

    def test_an_overpayment_leaves_what_the_schedule_does_not_need(self):
        taken, left = allocate(three(), D("500"))
        assert [amount for _, amount in taken] == [D("151.16"), D("151.16"), D("151.18")]
        assert left == D("46.50")

    def test_a_paid_schedule_takes_nothing(self):
        taken, left = allocate(three(paid=("151.16", "151.16", "151.18")), D("10"))
        assert taken == [] and left == D("10")


class TestGraceDays:
    @pytest.mark.parametrize("today, expected", [
        (dt.date(2027, 1, 13), InstalmentStatus.DUE),
        (JAN, InstalmentStatus.DUE),
        (dt.date(2027, 1, 17), InstalmentStatus.DUE),  # the last grace day (3 days)
        (dt.date(2027, 1, 18), InstalmentStatus.MISSED),
    ])
    def test_an_unpaid_instalment_is_missed_only_after_the_grace_days(self, today, expected):
        assert instalment_status(three()[1], today, 3) == expected

    def test_part_paid_then_missed(self):
        part = three(paid=(0, 50, 0))[1]
        assert instalment_status(part, dt.date(2027, 1, 16), 3) == InstalmentStatus.PART_PAID
        assert instalment_status(part, dt.date(2027, 1, 18), 3) == InstalmentStatus.MISSED

    def test_paid_is_paid_whatever_the_day(self):
        assert instalment_status(three(paid=(0, "151.16", 0))[1], dt.date(2030, 1, 1), 3) == InstalmentStatus.PAID

    def test_grace_counts_borrower_days_across_a_daylight_saving_change(self):
        # Due the day before US clocks go forward (2027-03-14): three grace days later is the
        # 16th whatever the clock did; the plan breaks on the borrower's 17th.
        march = Instalment(1, dt.date(2027, 3, 13), D("10"))
        assert broke_on(march.due_on, 3) == dt.date(2027, 3, 17)
        assert instalment_status(march, dt.date(2027, 3, 16), 3) == InstalmentStatus.DUE
        assert instalment_status(march, dt.date(2027, 3, 17), 3) == InstalmentStatus.MISSED


class TestVerdict:
    def test_a_plan_fully_paid_is_completed(self):
        assert verdict(Kind.PLAN, three(paid=("151.16", "151.16", "151.18")), JAN, 3, None) == Status.COMPLETED

    def test_a_missed_instalment_breaks_the_plan(self):
        assert verdict(Kind.PLAN, three(paid=("151.16", 0, 0)), dt.date(2027, 1, 18), 3, None) == Status.BROKEN

    def test_a_plan_in_good_standing_stays_active(self):
        assert verdict(Kind.PLAN, three(paid=("151.16", 0, 0)), dt.date(2027, 1, 17), 3, None) is None

    def test_a_deferral_and_breathing_space_end_after_their_last_day(self):
        for kind in (Kind.DEFERRAL, Kind.BREATHING_SPACE):
            assert verdict(kind, [], JAN, 0, JAN) is None
            assert verdict(kind, [], JAN + dt.timedelta(days=1), 0, JAN) == Status.COMPLETED

    def test_a_fee_waiver_is_complete_at_once(self):
        assert verdict(Kind.FEE_WAIVER, [], JAN, 0, None) == Status.COMPLETED


class TestTransitions:
    @pytest.mark.parametrize("current, to", [
        (Status.ACTIVE, Status.COMPLETED), (Status.ACTIVE, Status.BROKEN), (Status.ACTIVE, Status.CANCELLED),
    ])
    def test_allowed(self, current, to):
        check_transition(current, to)

    @pytest.mark.parametrize("current", Status.FINAL)
    def test_a_final_status_never_changes(self, current):
        for to in Status.ALL:
            with pytest.raises(TransitionError):
                check_transition(current, to)


class TestStanding:
    DUE = dt.date(2026, 11, 1)

    def test_an_active_plan_stops_the_overdue_ladder_and_names_the_next_instalment(self):
        found = standing(self.DUE, [plan(paid=("151.16", 0, 0))], dt.date(2027, 1, 10))
        assert found.stops_overdue and found.good_standing.next_instalment(dt.date(2027, 1, 10)).number == 2
        assert found.due_date == self.DUE

    def test_a_plan_past_its_grace_reads_as_broken_before_any_review(self):
        found = standing(self.DUE, [plan(paid=("151.16", 0, 0))], dt.date(2027, 1, 18))
        assert not found.stops_overdue and found.broken is not None
        assert found.broken.missed(dt.date(2027, 1, 18)).number == 2

    def test_a_deferral_moves_the_due_date_even_after_its_day(self):
        deferral = ArrangementFacts(2, "A-1", Kind.DEFERRAL, Status.ACTIVE, dt.date(2026, 11, 20),
                                    dt.date(2026, 12, 4), "USD")
        assert standing(self.DUE, [deferral], dt.date(2026, 11, 25)).due_date == dt.date(2026, 12, 4)
        done = ArrangementFacts(2, "A-1", Kind.DEFERRAL, Status.COMPLETED, dt.date(2026, 11, 20),
                                dt.date(2026, 12, 4), "USD")
        assert standing(self.DUE, [done], dt.date(2026, 12, 20)).due_date == dt.date(2026, 12, 4)

    def test_a_cancelled_deferral_gives_the_old_date_back(self):
        gone = ArrangementFacts(2, "A-1", Kind.DEFERRAL, Status.CANCELLED, dt.date(2026, 11, 20),
                                dt.date(2026, 12, 4), "USD")
        assert standing(self.DUE, [gone], dt.date(2026, 11, 25)).due_date == self.DUE

    def test_breathing_space_runs_through_its_last_day(self):
        space = ArrangementFacts(3, "A-1", Kind.BREATHING_SPACE, Status.ACTIVE, dt.date(2026, 12, 1),
                                 dt.date(2026, 12, 30), "USD")
        assert standing(self.DUE, [space], dt.date(2026, 12, 30)).breathing_space_until == dt.date(2026, 12, 30)
        assert standing(self.DUE, [space], dt.date(2026, 12, 31)).breathing_space_until is None

    def test_a_newer_plan_takes_over_from_a_broken_one(self):
        broken = plan(status=Status.BROKEN, id=1)
        newer = plan(id=2)
        found = standing(self.DUE, [broken, newer], dt.date(2026, 12, 10))
        assert found.good_standing.id == 2 and found.broken is None


class TestDateMove:
    policy = load_policy()

    def test_within_the_policy(self):
        assert date_move(JAN, JAN + dt.timedelta(days=14), dt.date(2027, 1, 2), self.policy, 0) is None

    def test_too_far(self):
        refusal = date_move(JAN, JAN + dt.timedelta(days=15), dt.date(2027, 1, 2), self.policy, 0)
        assert refusal.rule == "date_move_too_far"

    def test_earlier_or_past_is_refused(self):
        assert date_move(JAN, JAN - dt.timedelta(days=1), dt.date(2027, 1, 2), self.policy, 0).rule == "date_move_not_later"
        assert date_move(JAN, dt.date(2027, 1, 20), dt.date(2027, 1, 21), self.policy, 0).rule == "date_move_not_later"

    def test_one_move_per_plan(self):
        assert date_move(JAN, JAN + dt.timedelta(days=3), dt.date(2027, 1, 2), self.policy, 1).rule == "date_move_limit"
