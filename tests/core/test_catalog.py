"""The optimizer catalog: one row per rule, every fact in range, and the app and trainer read it."""

import re

import pytest

from optim_core.optimizers import RULES
from optim_core.optimizers.catalog import CATALOG, OptimizerFacts


def test_every_rule_has_a_row_and_every_row_a_rule():
    assert set(CATALOG) == set(RULES), {
        "rules without a row": sorted(set(RULES) - set(CATALOG)),
        "rows without a rule": sorted(set(CATALOG) - set(RULES)),
    }


@pytest.mark.parametrize("name", list(CATALOG))
def test_facts_are_in_range(name):
    facts = CATALOG[name]
    assert isinstance(facts, OptimizerFacts)
    assert re.fullmatch(r"#[0-9A-F]{6}", facts.colour), facts.colour
    assert 1e-6 <= facts.playground_lr <= 10.0
    assert 1e-6 <= facts.cnn_lr <= 10.0
    assert facts.curvature_cap is None or 0 < facts.curvature_cap < 2  # gradient steps diverge past 2/L
    assert not (facts.scale_free and facts.curvature_cap is not None)  # the cap is checked first


def test_every_optimizer_has_its_own_colour():
    colours = [facts.colour for facts in CATALOG.values()]
    assert len(set(colours)) == len(colours)


def test_the_app_and_the_trainer_read_the_catalog():
    from app.shared.optimizer_catalog import default_lr
    from app.shared.theme import optimizer_colour
    from optim_core.training.variants import resolve

    for name, facts in CATALOG.items():
        assert optimizer_colour(name) == facts.colour
        assert resolve(name)["lr"] == facts.cnn_lr
        if facts.curvature_cap is None and not facts.scale_free:  # scaled with the view's width only
            assert default_lr(name, (1e-9, 4.0)) == pytest.approx(facts.playground_lr, rel=0.2)
    # a steep surface caps the plain-gradient family at cap / L
    assert default_lr("sgd", (100.0, 4.0)) == pytest.approx(0.3 / 100, rel=0.2)
    # Adadelta's steps do not scale with lr: a wider view keeps its LR
    assert default_lr("adadelta", (1.0, 40.0)) == default_lr("adadelta", (1.0, 4.0))
