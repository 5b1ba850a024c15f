"""DIET's epochs shrink with the data above the size its settings were chosen for, so the
steps trained, and the time they take, stay the same when trainers add examples."""
import pytest

from bot.components.scaled_diet import scaled_epochs


@pytest.mark.parametrize("examples, expected", [
    (10, 100),     # small data: every epoch
    (2200, 100),   # the size the settings were chosen for
    (2201, 100),   # just above: ceil keeps at least as many steps
    (4400, 50),    # twice the data, half the passes
    (6600, 34),    # three times
    (50000, 20),   # never fewer than min_epochs
])
def test_epochs_scale_inversely_with_the_data_above_the_reference(examples, expected):
    assert scaled_epochs(100, examples, scale_above=2200, min_epochs=20) == expected


def test_the_steps_trained_stay_the_same_within_one_batch_worth():
    for examples in (3000, 4500, 6600, 9000):
        epochs = scaled_epochs(100, examples, scale_above=2200, min_epochs=20)
        assert 100 * 2200 <= epochs * examples < 100 * 2200 + examples


def test_a_minimum_above_the_configured_epochs_never_adds_epochs():
    assert scaled_epochs(10, 50000, scale_above=2200, min_epochs=20) == 10


def test_both_languages_use_it_and_say_where_scaling_starts():
    from tests.support.paths import model_config

    for lang in ("en", "zh"):
        diet = next(c for c in model_config(lang)["pipeline"] if c["name"].endswith("DIETClassifier"))
        assert diet["name"] == "bot.components.scaled_diet.ScaledEpochsDIETClassifier"
        assert diet["scale_epochs_above"] > 0
