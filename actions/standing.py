"""Where the borrower stands: what their arrangements say (store/arrangements.py, read through
lending.arrangements.standing), told instead of the overdue explanation once something was
agreed: a plan's next instalment ("Your next instalment is $151.16 on Jan 14; 1 of 3 paid."),
a promise, a deferred due date, breathing space, or what a broken plan or promise missed."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

import store.db
from actions.account_context import AccountContext, ensure_store
from language.wording import money, month_day, short_date
from lending.arrangements import PLAN_KINDS, ArrangementFacts, Standing, last_grace_day, standing
from store import arrangements
from store.models import ArrangementKind as Kind
from store.models import ArrangementStatus as Status


@dataclass(frozen=True)
class Told:
    """What to say of an arrangement: a response and its values, and the arrangement's kind."""

    response: str
    kind: str
    values: dict = field(default_factory=dict)
    in_force: bool = True  # False: broken, what it missed is told

    @property
    def has_plan(self) -> bool:
        """A plan in force: the options are what a plan allows, not a new agreement."""
        return self.in_force and self.kind in PLAN_KINDS

    @property
    def says_balance(self) -> bool:
        """Whether the sentence already names what is owed in all (a deferred due date)."""
        return self.kind == Kind.DEFERRAL


def standing_of(ctx: AccountContext) -> Standing:
    """The account's arrangements as of the borrower's today."""
    ensure_store()
    with store.db.session_scope() as session:
        found = arrangements.facts(session, ctx.policy.grace_days, [ctx.account_id])
    return standing(ctx.account.due_date, found.get(ctx.account_id, ()), ctx.today)


def where_they_stand(ctx: AccountContext, where: Standing) -> Optional[Told]:
    """What to tell the borrower about their arrangements; None when none speaks (the
    overdue explanation applies). A plan or promise in good standing comes first, then a
    break from contact, a deferred due date, and last what a broken one missed."""
    today, language = ctx.today, ctx.language

    def amount(value) -> str:
        return money(value, ctx.account.currency, language=language)

    good = where.good_standing
    if good is not None and good.kind == Kind.PROMISE:
        [promised] = good.instalments
        return Told("utter_standing_promise", good.kind, {
            "amount": amount(promised.amount), "date": short_date(promised.due_on, language=language),
        })
    if good is not None:
        return _plan_standing(good, today, amount, language)
    if where.breathing_space_until is not None:
        return Told("utter_standing_breathing_space", Kind.BREATHING_SPACE,
                    {"date": short_date(where.breathing_space_until, language=language)})
    if any(a.kind == Kind.DEFERRAL and a.status_on(today) == Status.ACTIVE for a in where.arrangements):
        return Told("utter_standing_deferral", Kind.DEFERRAL, {
            "amount": amount(ctx.account.balance), "date": short_date(where.due_date, language=language),
        })
    broken = where.broken
    if broken is not None:
        missed = broken.missed(today) or broken.next_instalment(today) or broken.instalments[-1]
        response = "utter_standing_broken_promise" if broken.kind == Kind.PROMISE else "utter_standing_broken_plan"
        return Told(response, broken.kind, {
            "amount": amount(missed.outstanding or missed.amount),
            "date": short_date(missed.due_on, language=language),
        }, in_force=False)
    return None


def _plan_standing(plan: ArrangementFacts, today: dt.date, amount, language: str) -> Told:
    # In good standing, so at least one instalment is still to pay.
    upcoming = plan.next_instalment(today)
    values = {
        "amount": amount(upcoming.outstanding), "date": month_day(upcoming.due_on, language=language),
        "paid": plan.paid_count(), "count": len(plan.instalments),
    }
    if upcoming.due_on < today:  # unpaid, inside its grace days
        last_day = last_grace_day(upcoming.due_on, plan.grace_days)
        return Told("utter_standing_plan_late", plan.kind,
                    {**values, "last_day": short_date(last_day, language=language)})
    return Told("utter_standing_plan", plan.kind, values)


def options_after(told: Optional[Told]) -> str:
    """The options that follow: a borrower with a plan in force can pay or move a date; anyone
    else hears every way to settle."""
    return "utter_offer_options_with_plan" if told is not None and told.has_plan else "utter_offer_options"
