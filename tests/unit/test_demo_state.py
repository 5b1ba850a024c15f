"""Each `./repay demo` starts its borrowers afresh; `--keep` keeps the previous state."""
from __future__ import annotations

import pytest

from devtools.stack import StackConfig, use_demo_state


@pytest.fixture
def previous_demo(tmp_path, monkeypatch):
    """A previous demo's store (opt-outs, handoffs...) and Rasa trackers (identity locks)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = StackConfig(database_url=f"sqlite:///{tmp_path / 'repay.db'}",
                         tracker_db=str(tmp_path / "rasa_tracker.db"))
    for name in ("repay.db", "repay.db-journal", "rasa_tracker.db"):
        (tmp_path / name).write_text("the previous demo")
    return config


def test_the_demo_starts_afresh(previous_demo, tmp_path, capsys):
    use_demo_state(previous_demo, keep=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert "--keep keeps the previous state" in capsys.readouterr().out


def test_keep_keeps_the_previous_demo(previous_demo, tmp_path):
    use_demo_state(previous_demo, keep=True)
    assert (tmp_path / "repay.db").read_text() == "the previous demo"
    assert (tmp_path / "rasa_tracker.db").read_text() == "the previous demo"


def test_a_store_of_the_users_own_is_never_emptied(previous_demo, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", previous_demo.database_url)
    use_demo_state(previous_demo, keep=False)
    assert (tmp_path / "repay.db").read_text() == "the previous demo"
    assert "keeps that store's state" in capsys.readouterr().out
