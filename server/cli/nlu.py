"""`flask --app server nlu ...`: the trainers' inbox from a terminal.

    flask --app server nlu inbox [--reason fallback|low_confidence|sample] [--limit 50]
    flask --app server nlu show ID
    flask --app server nlu review                    # one item after another, interactively
    flask --app server nlu approve ID [--intent NAME] [--text "..."] [--entity "words=entity"]
    flask --app server nlu discard ID
    flask --app server nlu intents                   # the taxonomy, and where each intent lives

Texts are shown redacted, as stored. Approving writes into NLU_DATA_DIR (data/nlu) through
the same code as the console (server/nlu_review.approve); without --text the example is
the message with made-up values in place of its placeholders, and without --intent the
model's own intent is confirmed.
"""
from __future__ import annotations

import getpass
from pathlib import Path
from typing import List, Optional, Sequence

import click
from flask.cli import AppGroup

from bot.annotation import AnnotationRefused, Entity, NluData, display_path, taxonomy
from language.redaction import stand_in
from server import services
from server.conversation.nlu_review import NotPending, approve, discard, training_data
from store import reviews
from store.db import session_scope
from store.models import ReviewItem, ReviewReason, ReviewStatus

nlu = AppGroup("nlu", help="The trainers' NLU inbox: review what borrowers wrote.")

REASONS = (ReviewReason.FALLBACK, ReviewReason.LOW_CONFIDENCE, ReviewReason.SAMPLE)


def _data(language: str = "en") -> NluData:
    """One language's NLU data (English for the taxonomy: every language has the same)."""
    return training_data(Path(services().settings.nlu_data_dir), language)


def _who(by: Optional[str]) -> str:
    return (by or f"cli-{getpass.getuser()}")[:32]


def _describe(item: ReviewItem) -> str:
    others = ", ".join(f"{a['intent']} {a['confidence']:.2f}" for a in item.alternatives or [])
    guess = f"{item.intent or '?'} {item.confidence:.2f}"
    lines = [
        f"#{item.id}  {item.reason}{' (fell back)' if item.fell_back else ''}  "
        f"{guess}{'  then ' + others if others else ''}"
        f"{'  seen ' + str(item.seen) + ' times' if item.seen > 1 else ''}",
        f"    {item.text}",
    ]
    if item.status != ReviewStatus.PENDING:
        lines.append(f"    {item.status} by {item.reviewed_by}"
                     + (f" as {item.decided_intent}: {item.written_to}" if item.written_to else ""))
    return "\n".join(lines)


def parse_entities(text: str, specs: Sequence[str]) -> List[Entity]:
    """'4 months=months' -> the first place those words stand in the text, as `months`."""
    entities, taken = [], 0
    for spec in specs:
        words, sep, entity = spec.rpartition("=")
        if not sep or not words.strip() or not entity.strip():
            raise click.BadParameter(f"{spec!r}: write the words, '=', then the entity")
        start = text.find(words.strip(), taken)
        if start < 0:
            start = text.find(words.strip())
        if start < 0:
            raise click.BadParameter(f"{words.strip()!r} is not in the example {text!r}")
        end = start + len(words.strip())
        entities.append(Entity(start, end, entity.strip()))
        taken = end
    return entities


def _get(item_id: int) -> ReviewItem:
    with session_scope() as session:
        item = session.get(ReviewItem, item_id)
    if item is None:
        raise click.ClickException(f"no inbox item #{item_id}")
    return item


def _approve(item: ReviewItem, intent: str, text: str, entities: List[Entity], by: str) -> None:
    try:
        written = approve(item.id, by, f"cli:{by}", intent, text, entities,
                          Path(services().settings.nlu_data_dir))
    except (NotPending, AnnotationRefused) as exc:
        raise click.ClickException(str(exc)) from None
    if written.already_present:
        click.echo(f"already in {written.where()}: nothing written")
    else:
        click.echo(f"written to {written.where()}:  - {written.example}")


@nlu.command("inbox")
@click.option("--reason", type=click.Choice(REASONS), default=None, help="Only items of this kind.")
@click.option("--status", type=click.Choice([ReviewStatus.PENDING, ReviewStatus.APPROVED,
                                             ReviewStatus.DISCARDED]),
              default=ReviewStatus.PENDING, show_default=True)
@click.option("--limit", default=50, show_default=True)
def inbox(reason: Optional[str], status: str, limit: int) -> None:
    """List inbox items (pending ones oldest first)."""
    with session_scope() as session:
        items = reviews.listing(session, status, reason, limit)
        counted = reviews.counts(session)
    pending = counted.get(ReviewStatus.PENDING, 0)
    by_reason = ", ".join(f"{counted.get('pending_' + r, 0)} {r}" for r in REASONS)
    click.echo(f"{pending} pending ({by_reason}); {counted.get(ReviewStatus.APPROVED, 0)} "
               f"approved, {counted.get(ReviewStatus.DISCARDED, 0)} discarded")
    for item in items:
        click.echo(_describe(item))


@nlu.command("show")
@click.argument("item_id", type=int)
def show(item_id: int) -> None:
    """One item, with the example approving it would write."""
    item = _get(item_id)
    click.echo(_describe(item))
    files = _data(item.language).intent_files()
    click.echo(f"    example: {stand_in(item.text)}")
    if item.intent in files:
        click.echo(f"    {item.intent} lives in {display_path(files[item.intent])}")
    if item.conversation_id:
        click.echo(f"    conversation (redacted) in the console: "
                   f"/console/nlu/conversations/{item.conversation_id}")


@nlu.command("approve")
@click.argument("item_id", type=int)
@click.option("--intent", default=None, help="The right intent (default: the model's).")
@click.option("--text", default=None, help="The example to write (default: the message "
              "with made-up values for its placeholders).")
@click.option("--entity", "entity_specs", multiple=True, metavar="WORDS=ENTITY",
              help="Mark words of the example as an entity, e.g. '4 months=months'.")
@click.option("--by", default=None, help="Your name in the inbox (default: cli-<login>).")
def approve_command(item_id: int, intent: Optional[str], text: Optional[str],
                    entity_specs: Sequence[str], by: Optional[str]) -> None:
    """Confirm or correct an item's intent; write it as an example."""
    item = _get(item_id)
    intent = intent or item.intent
    if not intent:
        raise click.ClickException("the model named no intent: give one with --intent")
    text = stand_in(item.text) if text is None else text
    _approve(item, intent, text, parse_entities(text, entity_specs), _who(by))


@nlu.command("discard")
@click.argument("item_id", type=int)
@click.option("--by", default=None, help="Your name in the inbox (default: cli-<login>).")
def discard_command(item_id: int, by: Optional[str]) -> None:
    """Not worth an example: out of the inbox, nothing written."""
    try:
        discard(item_id, _who(by), f"cli:{_who(by)}")
    except NotPending as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"discarded #{item_id}")


@nlu.command("review")
@click.option("--reason", type=click.Choice(REASONS), default=None, help="Only items of this kind.")
@click.option("--by", default=None, help="Your name in the inbox (default: cli-<login>).")
def review(reason: Optional[str], by: Optional[str]) -> None:
    """Go through the pending items one by one."""
    intents, entity_names = taxonomy(_data().domain)
    with session_scope() as session:
        items = reviews.listing(session, ReviewStatus.PENDING, reason, 500)
    if not items:
        click.echo("the inbox is empty")
    click.echo("For each item: Enter confirms the model's intent, an intent name corrects it, "
               "'d' discards, 's' skips, 'q' stops.")
    for item in items:
        click.echo("")
        click.echo(_describe(item))
        answer = click.prompt("intent", default=item.intent or "", show_default=bool(item.intent))
        answer = answer.strip()
        if answer == "q":
            break
        if answer == "s":
            continue
        if answer == "d":
            try:
                discard(item.id, _who(by), f"cli:{_who(by)}")
                click.echo(f"discarded #{item.id}")
            except NotPending as exc:
                click.echo(str(exc))
            continue
        if answer not in intents:
            click.echo(f"'{answer}' is not an intent; skipped (see `flask --app server nlu intents`)")
            continue
        text = click.prompt("example", default=stand_in(item.text))
        specs = click.prompt(
            f"entities as words=entity, comma-separated ({', '.join(entity_names)})",
            default="", show_default=False,
        )
        try:
            entities = parse_entities(text, [s for s in specs.split(",") if s.strip()])
            _approve(item, answer, text, entities, _who(by))
        except (click.ClickException, click.BadParameter) as exc:
            click.echo(f"not written: {exc.format_message()}")


@nlu.command("intents")
def intents_command() -> None:
    """The taxonomy: each intent, its file and how many examples it has."""
    data = _data()
    counts = {}
    for block in data.blocks():
        counts[block.intent] = counts.get(block.intent, 0) + len(block.examples)
    files = data.intent_files()
    names, entities = taxonomy(data.domain)
    for name in names:
        where = display_path(files[name]) if name in files else "(no examples yet)"
        click.echo(f"{name:<22} {counts.get(name, 0):>4}  {where}")
    click.echo(f"entities: {', '.join(entities)}")
