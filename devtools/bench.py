"""Load benchmark: N simulated borrowers at once through the gateway, by SMS and on the
phone, and the same SMS conversations sent straight to Rasa's REST channel (the tuned
Rasa the service runs, stock Rasa 3.6 beside it, and two tuned Rasa processes sharing the
load), all in the same run; then long conversations, to see what a turn late in one costs.

    python -m devtools.bench [--borrowers 20] [--rounds 2] [--redis-url URL] [--quick]

Prints p50/p95 time per turn and turns per second for each path, Rasa's CPU per turn, and
their ratios, so each cost is read against another on the same machine at the same moment
(the figures alone say more about the machine's other work than about the service):
- the gateway's cost (signature check, store writes, keyword handling, TwiML; on calls also
  the call's state, keys and speech prompts) against Rasa straight;
- Rasa's own cost with bot/rasa_speedups.py and bot/redis_tracker_store.py against stock
  Rasa with its own Redis tracker store, on the same conversations;
- two Rasa processes sharing the conversations (trackers and locks in Redis) against one;
- turn 40 of a long conversation against turn 5 (the same message), tuned and stock;
- the SMS path against Rasa straight for borrowers who text one at a time: with N borrowers at
  once the cores are saturated and the ratio follows the CPU each path spends per turn (the
  gateway's store work and compliance gate share the cores with Rasa); alone, it is the
  latency the gateway adds to a turn.
A voice turn is one <Gather> webhook: keys or speech in, the bot's next words out. One
unmeasured conversation warms every path up, and the paths alternate round by round (each
round with fresh borrowers), so none is favoured by running first or last. Rasa's CPU is
read from the kernel (/proc/<pid>/task/*/schedstat) around each path's rounds, and turn by
turn in the long conversations, which run one request at a time.

Rasa's trackers and locks and the gateway's state are in Redis, as with several processes:
a database of the benchmark's own (`--redis-url`, default redis://127.0.0.1:6379/13), which
it empties first.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Sequence

import redis
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import store.db
from devtools.stack import OFFLINE_TWILIO, STOCK_RASA, Stack, StackConfig
from devtools.twilio_sim import SimulatedTwilio
from settings.service import DEV_TWILIO_AUTH_TOKEN
from store.accounts import import_records
from store.models import Conversation

SCRIPT = ["hi", "03/14/1988", "4821", "how much do i owe", "can i pay it over 3 months", "no",
          "ok thanks, bye"]
# The same conversation on the phone: the call is answered, then keys and speech; the
# bot's goodbye ends the call.
VOICE_SCRIPT = [("answer", ""), ("press", "03141988"), ("press", "4821"),
                ("say", "how much do i owe"), ("press", "3"), ("press", "1"), ("press", "2"),
                ("say", "ok thanks, bye")]
# A long conversation: verified, then the same five questions over and over, so turn 5 and
# turn 40 are the same message ("can i pay it over 3 months").
LONG_TURNS = 40
LONG_SCRIPT = SCRIPT[:3] + [
    ["how much do i owe", "can i pay it over 3 months", "no", "what happens if i don't pay",
     "when is it due"][n % 5] for n in range(LONG_TURNS - 3)]
EARLY, LATE = 5, 40
# Borrowers who text one at a time (nobody else about), on Rasa straight and through the
# gateway: what the gateway adds to a turn when the cores are not shared with other turns.
ALONE = 3
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"


def _accounts(prefix: str, area: int, count: int) -> List[dict]:
    due = (dt.date.today() - dt.timedelta(days=10)).isoformat()
    return [
        {"account_id": f"{prefix}-{n}", "name": "Bench Borrower", "phone": f"+1555{area}{n:06d}",
         "timezone": "America/Chicago", "language": "en", "currency": "USD",
         "principal": "600.00", "interest": "20.00", "fees": "10.00", "due_date": due,
         "birth_date": "1988-03-14", "id_last4": "4821"}
        for n in range(count)
    ]


def cpu_seconds(pid: int) -> float:
    """CPU time a process's threads have had so far (Linux), in seconds."""
    total = 0
    tasks = Path(f"/proc/{pid}/task")
    for task in tasks.iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError):  # a thread that ended meanwhile
            continue
    return total / 1e9


def machine_busy() -> tuple:
    """(busy, total) CPU time of the whole machine so far, in clock ticks (/proc/stat)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


@dataclass
class Measured:
    """One path's rounds: every turn's time, the rounds' wall time, the CPU that Rasa and
    the gateway had meanwhile, and how busy the whole machine was (everyone's work)."""

    timings: List[float] = field(default_factory=list)
    elapsed: float = 0.0
    rasa_cpu: float = 0.0
    gateway_cpu: float = 0.0
    actions_cpu: float = 0.0
    client_cpu: float = 0.0  # this process: the simulated borrowers (and Twilio)
    redis_cpu: float = 0.0
    busy: float = 0.0
    ticks: float = 0.0

    @property
    def cpu_per_turn(self) -> float:
        return self.rasa_cpu / len(self.timings)


def _run(borrowers: int, turn: Callable[[int, object], None], script: Sequence) -> tuple:
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


def _summary(name: str, measured: Measured, rasa: bool = False, gateway: bool = False) -> dict:
    timings = measured.timings
    cuts = statistics.quantiles(timings, n=100)
    figures = {"p50": statistics.median(timings), "p95": cuts[94],
               "tps": len(timings) / measured.elapsed}
    line = (f"{name:<24} turns {len(timings):>5}   p50 {figures['p50'] * 1000:7.0f} ms   "
            f"p95 {figures['p95'] * 1000:7.0f} ms   {figures['tps']:6.1f} turns/s   "
            f"machine {100 * measured.busy / measured.ticks:3.0f}% busy")
    if rasa:
        line += f"   rasa cpu {measured.cpu_per_turn * 1000:5.1f} ms/turn"
    if gateway:
        line += f"   gateway cpu {measured.gateway_cpu / len(timings) * 1000:5.1f} ms/turn"
    line += (f"   actions cpu {measured.actions_cpu / len(timings) * 1000:4.1f}"
             f"   client cpu {measured.client_cpu / len(timings) * 1000:4.1f}"
             f"   redis cpu {measured.redis_cpu / len(timings) * 1000:4.1f} ms/turn")
    print(line)
    return figures


def _long_conversations(say: Dict[str, Callable[[int, str], None]], pids: Dict[str, int],
                        borrowers: int) -> Dict[str, Dict[int, List[float]]]:
    """Each variant's Rasa CPU for every turn of `borrowers` long conversations, one request
    at a time. The conversations are staggered and the variants take turns, so early and
    late turns, tuned and stock, are spread alike over the run's time."""
    offset = max(1, LONG_TURNS // borrowers)
    cpu: Dict[str, Dict[int, List[float]]] = {variant: {} for variant in say}
    for step in range(LONG_TURNS + offset * (borrowers - 1)):
        for borrower in range(borrowers):
            turn = step - offset * borrower
            if not 0 <= turn < LONG_TURNS:
                continue
            for variant in say:
                before = cpu_seconds(pids[variant])
                say[variant](borrower, LONG_SCRIPT[turn])
                cpu[variant].setdefault(turn + 1, []).append(cpu_seconds(pids[variant]) - before)
    return cpu


def fresh_database(url: str) -> None:
    """Drops and creates a PostgreSQL database: each run imports the same borrowers."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise SystemExit(f"--database-url: a PostgreSQL URL, not {parsed.drivername}")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.bench")
    parser.add_argument("--borrowers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--long", type=int, default=8, metavar="N",
                        help="long conversations (40 turns) per Rasa (default 8)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL,
                        help=f"a Redis database for the benchmark alone, emptied first "
                             f"(default {DEFAULT_REDIS_URL})")
    parser.add_argument("--database-url", default=None, metavar="URL",
                        help="the store: an SQLite file of the run's own (default, the embedded "
                             "set-up) or a PostgreSQL database, dropped and made afresh first "
                             "(production's store)")
    parser.add_argument("--quick", action="store_true",
                        help="5 borrowers, 1 round, 3 long conversations: a smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.borrowers, args.rounds, args.long = 5, 1, 3
    redis.Redis.from_url(args.redis_url).flushdb()
    var = Path(tempfile.mkdtemp(prefix="repay-bench-"))
    database_url = args.database_url or f"sqlite:///{var / 'repay.db'}"
    if args.database_url:
        fresh_database(args.database_url)
    config = StackConfig(
        rasa_port=25005, rasa_processes=2, stock_rasa_port=25009, actions_port=25055,
        gateway_port=25000, languages=("en",), database_url=database_url,
        tracker_db=str(var / "tracker.db"), redis_url=args.redis_url, log_dir=var / "log",
        extra_env={**OFFLINE_TWILIO},
    )
    # The gateway talks to the first Rasa process only: its paths compare with that one.
    config.extra_env["RASA_URL"] = config.rasa_url
    store.db.connect(config.database_url)
    # One set of borrowers per round and path, plus warm-up borrowers (indexes 0 and 1).
    per_path = args.borrowers * args.rounds + 2 + ALONE
    gateway_accounts = _accounts("BG", 7, per_path)
    direct = {"tuned": _accounts("BR", 8, per_path), "stock": _accounts("BS", 6, per_path),
              "two": _accounts("BT", 3, per_path)}
    long = {"tuned": _accounts("BL", 5, args.long), "stock": _accounts("BK", 4, args.long)}
    voice_accounts = _accounts("BV", 9, per_path)
    straight = [*direct["tuned"], *direct["stock"], *direct["two"], *long["tuned"],
                *long["stock"]]
    with store.db.session_scope() as session:
        import_records(session, gateway_accounts + voice_accounts + straight)
        for account in straight:  # Rasa's actions find the account through this row
            session.add(Conversation(id=f"bench-{account['account_id']}", channel="sms",
                                     phone=account["phone"], account_id=account["account_id"]))

    with Stack(config) as stack:
        twilio = SimulatedTwilio(stack.config.gateway_url, DEV_TWILIO_AUTH_TOKEN)
        rasa = requests.Session()
        urls = {"tuned": stack.config.rasa_url, "stock": stack.config.stock_rasa_url}
        both = stack.config.rasa_urls_of("en")
        pids = {"tuned": stack.processes["rasa"].pid, "stock": stack.processes[STOCK_RASA].pid}
        actions_pid = stack.processes["actions"].pid
        # Redis's own process when it runs on this machine (its CPU counts in the ceiling).
        redis_pid = int(redis.Redis.from_url(args.redis_url).info("server")["process_id"])

        def redis_cpu() -> float:
            try:
                return cpu_seconds(redis_pid)
            except OSError:  # another machine's, or not ours to read
                return 0.0
        both_pids = [stack.processes[name].pid for name in stack.config.rasa_names("en")]

        def rasa_cpu(variant: str) -> float:
            return sum(map(cpu_seconds, both_pids)) if variant == "two" else cpu_seconds(pids[variant])

        def straight_to(variant: str, accounts: List[dict]) -> Callable[[int, str], None]:
            def say(index: int, text: str) -> None:
                response = rasa.post(f"{urls[variant]}/webhooks/rest/webhook", timeout=60,
                                     json={"sender": f"bench-{accounts[index]['account_id']}",
                                           "message": text})
                response.raise_for_status()
            return say

        via_rasa = straight_to("tuned", direct["tuned"])
        via_stock = straight_to("stock", direct["stock"])

        def via_two(index: int, text: str) -> None:  # half the conversations to each
            response = rasa.post(f"{both[index % 2]}/webhooks/rest/webhook", timeout=60,
                                 json={"sender": f"bench-{direct['two'][index]['account_id']}",
                                       "message": text})
            response.raise_for_status()

        def via_gateway(index: int, text: str) -> None:
            twilio.sms(gateway_accounts[index]["phone"], text)

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
            via_stock(0, text)
            via_two(0, text)
            via_two(1, text)
            via_gateway(0, text)
        for step in VOICE_SCRIPT:
            via_voice(0, step)
        # Each path's Rasa: the stock one for its own path, both tuned ones for the path that
        # spreads over two, the first tuned one for the others.
        paths = [(via_rasa, SCRIPT, "tuned"), (via_stock, SCRIPT, "stock"),
                 (via_two, SCRIPT, "two"), (via_gateway, SCRIPT, "tuned"),
                 (via_voice, VOICE_SCRIPT, "tuned")]
        measured = {path: Measured() for path, _, _ in paths}
        gateways = stack.children("gateway")  # gunicorn's workers
        for round_ in range(args.rounds):
            first = 2 + round_ * args.borrowers
            for path, script, variant in paths:
                before = rasa_cpu(variant)
                gateway_before = sum(cpu_seconds(pid) for pid in gateways)
                # This process's CPU from the clock that counts its threads that have ended.
                actions_before, client_before = cpu_seconds(actions_pid), time.process_time()
                redis_before = redis_cpu()
                busy_before, ticks_before = machine_busy()
                timings, elapsed = _run(
                    args.borrowers, lambda i, t, p=path, f=first: p(f + i, t), script)
                busy, ticks = machine_busy()
                measured[path].busy += busy - busy_before
                measured[path].ticks += ticks - ticks_before
                measured[path].gateway_cpu += \
                    sum(cpu_seconds(pid) for pid in gateways) - gateway_before
                measured[path].rasa_cpu += rasa_cpu(variant) - before
                measured[path].actions_cpu += cpu_seconds(actions_pid) - actions_before
                measured[path].client_cpu += time.process_time() - client_before
                measured[path].redis_cpu += redis_cpu() - redis_before
                measured[path].timings += timings
                measured[path].elapsed += elapsed
        alone_first = 2 + args.borrowers * args.rounds
        alone: Dict[Callable, List[float]] = {via_rasa: [], via_gateway: []}
        for n in range(ALONE):  # the two paths take turns, borrower by borrower
            for path in alone:
                timings, _ = _run(1, lambda i, t, p=path, f=alone_first + n: p(f + i, t), SCRIPT)
                alone[path] += timings
        long_cpu = _long_conversations(
            {variant: straight_to(variant, long[variant]) for variant in long}, pids, args.long)

        print(f"\n{args.borrowers} concurrent borrowers, {len(SCRIPT)} SMS turns or "
              f"{len(VOICE_SCRIPT)} voice webhooks each, {args.rounds} rounds per path; "
              f"the store: {make_url(database_url).get_backend_name()}")
        rasa_figures = _summary("Rasa REST (baseline)", measured[via_rasa], rasa=True)
        _summary("stock Rasa REST", measured[via_stock], rasa=True)
        two_figures = _summary("Rasa REST, 2 processes", measured[via_two], rasa=True)
        gateway_figures = _summary("gateway /twilio/sms", measured[via_gateway], rasa=True,
                                   gateway=True)
        voice_figures = _summary("gateway /twilio/voice", measured[via_voice], gateway=True)
    for name, figures in (("SMS", gateway_figures), ("voice", voice_figures)):
        label = f"ratio {name}/Rasa"
        print(f"{label:<24} p50 x{figures['p50'] / rasa_figures['p50']:.2f}   "
              f"p95 x{figures['p95'] / rasa_figures['p95']:.2f}   "
              f"throughput x{figures['tps'] / rasa_figures['tps']:.2f}")
    sms_alone, rasa_alone = (statistics.median(alone[p]) for p in (via_gateway, via_rasa))
    print(f"{'ratio SMS/Rasa p50, one borrower at a time':<44} x{sms_alone / rasa_alone:.2f}   "
          f"({sms_alone * 1000:.0f} ms against {rasa_alone * 1000:.0f} ms, {ALONE} borrowers each)")
    print(f"{'ratio 2/1 rasa throughput':<28} x{two_figures['tps'] / rasa_figures['tps']:.2f}   "
          f"p50 x{two_figures['p50'] / rasa_figures['p50']:.2f}")
    # What this machine allows: every core busy with the two Rasa processes, the action server,
    # Redis and the simulated borrowers at the CPU per turn just measured.
    two = measured[via_two]
    per_turn = (two.rasa_cpu + two.actions_cpu + two.client_cpu + two.redis_cpu) / len(two.timings)
    ceiling = os.cpu_count() / per_turn
    print(f"  ceiling on {os.cpu_count()} cores          x{ceiling / rasa_figures['tps']:.2f}   "
          f"({ceiling:.1f} turns/s at {per_turn * 1000:.1f} ms of CPU per turn, all processes)")
    tuned, stock = measured[via_rasa].cpu_per_turn, measured[via_stock].cpu_per_turn
    print(f"ratio tuned/stock rasa cpu per turn x{tuned / stock:.2f}   "
          f"({tuned * 1000:.1f} ms against {stock * 1000:.1f} ms)")
    print(f"\n{args.long} long conversations of {LONG_TURNS} turns per Rasa, one request at "
          f"a time; Rasa's CPU for turn {EARLY} and turn {LATE} ({LONG_SCRIPT[LATE - 1]!r})")
    for variant in ("tuned", "stock"):
        early, late = (statistics.median(long_cpu[variant][n]) for n in (EARLY, LATE))
        label = "ratio turn40/turn5 rasa cpu" if variant == "tuned" else "  stock Rasa"
        print(f"{label:<28} x{late / early:.2f}   (turn {EARLY} {early * 1000:.1f} ms, "
              f"turn {LATE} {late * 1000:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
