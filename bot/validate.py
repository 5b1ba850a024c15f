"""`rasa data validate --fail-on-warnings`, made exact for this bot, for each language's
model (its config and NLU data, with the shared domain, rules and stories).

    python -m bot.validate [LANG ...]

Rasa warns "The utterance 'x' is not used in any story or rule" for every response that
only custom actions send (and Rasa 3.6 never fails on it, whatever the flag says). This
check turns that noise into two real rules:
  - a response must be used by a story/rule, a form, Rasa's fallback, or the actions'
    code; a response nobody sends fails the run;
  - every response the actions' code names must exist in domain.yml.
Any other warning from Rasa fails the run too, except that intents only an NLU component
predicts (never trained: `check_safety`, from the safety layer) have no training examples.
"""
from __future__ import annotations

import re
import subprocess
import sys

from bot import domain_file
from bot.annotation import COMPONENT_INTENTS
from bot.training import LANGUAGES, ROOT, rasa_command, rasa_env, training_data_args

UNUSED = re.compile(r"The utterance '([a-z0-9_]+)' is not used in any story or rule")
WARNING = re.compile(r"UserWarning: (.*)")
REFUSAL_RULE = re.compile(r'(?:Refusal|refuse)\(\s*"([a-z_]+)"')
RESPONSE_NAME = re.compile(r'"(utter_[a-z0-9_]+)"')
DYNAMIC_REFUSAL = 'f"utter_refusal_{'
UNTRAINED = re.compile(r"The intent '([a-z_]+)' is listed in the domain file, but is not found in the NLU")


def responses_sent_by_code() -> set:
    """Response names the action server can send: literals, refusals, form questions."""
    actions_code = "\n".join(p.read_text() for p in (ROOT / "actions").glob("*.py"))
    names = set(RESPONSE_NAME.findall(actions_code))
    if DYNAMIC_REFUSAL in actions_code:
        lending_code = "\n".join(p.read_text() for p in (ROOT / "lending").glob("*.py"))
        rules = REFUSAL_RULE.findall(lending_code + actions_code)
        names |= {f"utter_refusal_{rule}" for rule in rules}
    actions = set(domain_file.actions())
    for form, spec in domain_file.forms().items():
        for slot in spec.get("required_slots") or []:
            # A form asks with action_ask_<form>_<slot> when there is one, else the response.
            if f"action_ask_{form}_{slot}" not in actions:
                names.add(f"utter_ask_{form}_{slot}")
    names.add("utter_default")  # Rasa's own action_default_fallback sends it
    return names


def expected_warning(warning: str) -> bool:
    """Rasa's warnings that are not problems here (the module's docstring says why)."""
    untrained = UNTRAINED.search(warning)
    return bool(UNUSED.search(warning) or (untrained and untrained.group(1) in COMPONENT_INTENTS))


def validate(lang: str) -> int:
    """Prints what is wrong with one language's model inputs; returns the number of problems."""
    run = subprocess.run(
        [*rasa_command(), "data", "validate", "--fail-on-warnings", *training_data_args(lang)],
        cwd=ROOT, env=rasa_env(), capture_output=True, text=True,
    )
    output = run.stdout + run.stderr
    domain_responses = set(domain_file.responses())
    by_code = responses_sent_by_code()

    problems = []
    unused = set(UNUSED.findall(output))
    problems += [f"response {name} is never sent (no story, rule, form or action uses it)"
                 for name in sorted(unused - by_code)]
    problems += [f"the actions send {name}, which domain.yml does not define"
                 for name in sorted(by_code - domain_responses)]
    problems += [f"rasa: {w}" for w in WARNING.findall(output) if not expected_warning(w)]
    if run.returncode != 0:
        problems.append(f"rasa data validate exited {run.returncode}:\n{output[-3000:]}")

    for problem in problems:
        print(f"FAIL [{lang}] {problem}")
    print(f"validate [{lang}]: {len(domain_responses)} responses, {len(unused & by_code)} sent "
          f"only by actions or forms, {len(problems)} problem(s)")
    return len(problems)


def main(languages=LANGUAGES) -> int:
    return 1 if sum(validate(lang) for lang in languages) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or LANGUAGES))
