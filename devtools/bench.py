"""Load benchmark: N simulated borrowers at once through the gateway, by SMS and on the
phone, and the same SMS conversations sent straight to Rasa's REST channel in the same run.

    python -m devtools.bench [--borrowers 20] [--rounds 2]

Prints p50/p95 time per turn and turns per second for each path and their ratio to Rasa,
so the gateway's cost (signature check, store writes, keyword handling, TwiML; on calls
also the call's state, keys and speech prompts) is read against Rasa's own time on the
same machine at the same moment. A voice turn is one <Gather> webhook: keys or speech in,
the bot's next words out. One unmeasured conversation warms every path up, and the paths
alternate round by round (each round with fresh borrowers), so none is favoured by running
first or last.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List, Sequence

import requests

import store.db
from devtools.stack import OFFLINE_TWILIO, Stack, StackConfig
from devtools.twilio_sim import SimulatedTwilio
from server.config import DEV_TWILIO_AUTH_TOKEN
from store.accounts import import_records
from store.models import Conversation

SCRIPT = ["hi", "03/14/1988", "4821", "how much do i owe", "can i pay it over 3 months", "no",
          "ok thanks, bye"]
# The same conversation on the phone: the call is answered, then keys and speech; the
# bot's goodbye ends the call.
VOICE_SCRIPT = [("answer", ""), ("press", "03141988"), ("press", "4821"),
                ("say", "how much do i owe"), ("press", "3"), ("press", "1"), ("press", "2"),
                ("say", "ok thanks, bye")]


def _accounts(prefix: str, area: int, count: int) -> List[dict]:
    due = (dt.date.today() - dt.timedelta(days=10)).isoformat()
    return [
        {"account_id": f"{prefix}-{n}", "name": "Bench Borrower", "phone": f"+1555{area}{n:06d}",
         "timezone": "America/Chicago", "language": "en", "currency": "USD",
         "principal": "600.00", "interest": "20.00", "fees": "10.00", "due_date": due,
         "birth_date": "1988-03-14", "id_last4": "4821"}
        for n in range(count)
    ]


def _run(borrowers: int, turn: Callable[[int, object], None], script: Sequence = SCRIPT) -> tuple:
    """Each borrower plays the script in order; borrowers run concurrently."""
    def conversation(index: int) -> List[float]:
        timings = []
        for step in script:
            started = time.perf_counter()
            turn(index, step)
            timings.append(time.perf_counter() - started)
        return timings

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=borrowers) as pool:
        per_borrower = list(pool.map(conversation, range(borrowers)))
    elapsed = time.perf_counter() - started
    return [t for timings in per_borrower for t in timings], elapsed


def _summary(name: str, timings: List[float], elapsed: float) -> dict:
    cuts = statistics.quantiles(timings, n=100)
    figures = {"p50": statistics.median(timings), "p95": cuts[94], "tps": len(timings) / elapsed}
    print(f"{name:<24} turns {len(timings):>5}   p50 {figures['p50'] * 1000:7.0f} ms   "
          f"p95 {figures['p95'] * 1000:7.0f} ms   {figures['tps']:6.1f} turns/s")
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.bench")
    parser.add_argument("--borrowers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    var = Path(tempfile.mkdtemp(prefix="repay-bench-"))
    config = StackConfig(
        rasa_port=25005, actions_port=25055, gateway_port=25000, languages=("en",),
        database_url=f"sqlite:///{var / 'repay.db'}", tracker_db=str(var / "tracker.db"),
        log_dir=var / "log", extra_env={**OFFLINE_TWILIO},
    )
    store.db.connect(config.database_url)
    # One set of borrowers per round and path, plus one warm-up borrower (index 0).
    per_path = args.borrowers * args.rounds + 1
    gateway_accounts = _accounts("BG", 7, per_path)
    direct_accounts = _accounts("BR", 8, per_path)
    voice_accounts = _accounts("BV", 9, per_path)
    with store.db.session_scope() as session:
        import_records(session, gateway_accounts + direct_accounts + voice_accounts)
        for account in direct_accounts:  # Rasa's actions find the account through this row
            session.add(Conversation(id=f"bench-{account['account_id']}", channel="sms",
                                     phone=account["phone"], account_id=account["account_id"]))

    with Stack(config) as stack:
        twilio = SimulatedTwilio(stack.config.gateway_url, DEV_TWILIO_AUTH_TOKEN)
        rasa = requests.Session()

        def via_gateway(index: int, text: str) -> None:
            twilio.sms(gateway_accounts[index]["phone"], text)

        def via_rasa(index: int, text: str) -> None:
            response = rasa.post(f"{stack.config.rasa_url}/webhooks/rest/webhook", timeout=30,
                                 json={"sender": f"bench-{direct_accounts[index]['account_id']}",
                                       "message": text})
            response.raise_for_status()

        calls: Dict[int, object] = {}

        def via_voice(index: int, step) -> None:
            action, value = step
            if action == "answer":
                calls[index] = twilio.call(voice_accounts[index]["phone"])
                turn = calls[index].answer()
            else:
                turn = getattr(calls[index], action)(value)
            if turn.hangup:  # the bot's goodbye: Twilio reports the call's end
                calls.pop(index).hang_up()

        for text in SCRIPT:  # warm-up, not measured
            via_rasa(0, text)
            via_gateway(0, text)
        for step in VOICE_SCRIPT:
            via_voice(0, step)
        paths = [(via_rasa, SCRIPT), (via_gateway, SCRIPT), (via_voice, VOICE_SCRIPT)]
        measured = {path: ([], 0.0) for path, _ in paths}
        for round_ in range(args.rounds):
            first = 1 + round_ * args.borrowers
            for path, script in paths:
                timings, elapsed = _run(
                    args.borrowers, lambda i, t, p=path, f=first: p(f + i, t), script)
                measured[path] = (measured[path][0] + timings, measured[path][1] + elapsed)

        print(f"\n{args.borrowers} concurrent borrowers, {len(SCRIPT)} SMS turns or "
              f"{len(VOICE_SCRIPT)} voice webhooks each, {args.rounds} rounds per path")
        rasa_figures = _summary("Rasa REST (baseline)", *measured[via_rasa])
        gateway_figures = _summary("gateway /twilio/sms", *measured[via_gateway])
        voice_figures = _summary("gateway /twilio/voice", *measured[via_voice])
    for name, figures in (("SMS", gateway_figures), ("voice", voice_figures)):
        label = f"ratio {name}/Rasa"
        print(f"{label:<24} p50 x{figures['p50'] / rasa_figures['p50']:.2f}   "
              f"p95 x{figures['p95'] / rasa_figures['p95']:.2f}   "
              f"throughput x{figures['tps'] / rasa_figures['tps']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
