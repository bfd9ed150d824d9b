"""An optimizer's name as the pages show it, in the session's language: the one helper every page uses.

optim_core gives each rule an English label (the engine, the run store and CSVs use it), built of parts
for its hyperparameters ("Adam" + " + L2"). A part whose wording changes with the language carries a key,
and its translation is `opt.<key>` in app/shared/i18n/optimizers.py; the other parts read the same in
every language ("Adam", " + L2").
"""

from __future__ import annotations

from app.shared.i18n import STRINGS, language
from optim_core.optimizers import RULES
from optim_core.optimizers.rule import LabelPart


def optimizer_label(name: str, hp: dict | None = None, lang: str | None = None) -> str:
    """Optimizer `name` as the page calls it, e.g. "Adam + L2(梯度)" for Adam with weight decay in 简体中文.

    hp: its hyperparameters (defaults fill the rest); lang: "en" or "zh", the session's when None.
    """
    lang = lang or language()
    return "".join(_translated(part, lang) for part in RULES[name].label_parts(hp))


def _translated(part: LabelPart, lang: str) -> str:
    pair = STRINGS.get(f"opt.{part.key}") if part.key else None
    if pair is None:
        return part.text
    return pair[1] if lang == "zh" else pair[0]
