"""latex_lines: the algorithm lines of an update function's ``.. math::`` docstring block."""

import inspect

import pytest

from optim_core.optimizers import RULES
from optim_core.optimizers.rule import latex_lines


def _wrapped(grad, state, params, lr, hp, step):
    r"""A rule whose long algorithm lines are wrapped in the source.

    .. math::
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\
            \lambda \text{ (weight decay)} \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad \theta_t \leftarrow \theta_{t-1}
            - \gamma g_t
            - \gamma \lambda \theta_{t-1} \\

    Not part of the block: the indentation returned to that of ".. math::".
    """


def _unwrapped(grad, state, params, lr, hp, step):
    r"""The same rule with one source line per algorithm line.

    .. math::
        \textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \lambda \text{ (weight decay)} \\
        \textbf{for}\ t = 1, 2, \ldots\ \textbf{do} \\
        \quad \theta_t \leftarrow \theta_{t-1} - \gamma g_t - \gamma \lambda \theta_{t-1} \\
    """


def _no_block(grad, state, params, lr, hp, step):
    """No math here."""


def test_a_deeper_indented_line_continues_the_previous_one():
    assert latex_lines(_wrapped) == [
        r"\textbf{input}: \gamma \text{ (lr)},\ \theta_0,\ \lambda \text{ (weight decay)}",
        r"\textbf{for}\ t = 1, 2, \ldots\ \textbf{do}",
        r"\quad \theta_t \leftarrow \theta_{t-1} - \gamma g_t - \gamma \lambda \theta_{t-1}",
    ]
    assert latex_lines(_wrapped) == latex_lines(_unwrapped)


def test_a_docstring_without_a_math_block_is_an_error():
    with pytest.raises(ValueError, match="no '.. math::' block"):
        latex_lines(_no_block)


@pytest.mark.parametrize("name", list(RULES))
def test_every_rule_renders_one_line_per_terminated_source_line(name):
    """Each algorithm line ends with ``\\\\`` in the source, wrapped or not: as many lines as those."""
    doc = inspect.getdoc(RULES[name].update)
    block = doc.split(".. math::\n", 1)[1].split("\n\n", 1)[0]
    terminated = [line for line in block.splitlines() if line.rstrip().endswith("\\\\")]
    assert len(RULES[name].latex) == len(terminated)
    assert all("\\\\" not in line and line == line.strip() for line in RULES[name].latex)
