"""A typed formula's error in the session's language: what is wrong, where, and how to fix it.

optim_core's FormulaError carries its message's key, its hint's key and the values that fill them in
(optim_core/formula/messages.py); the texts are the "formula.*" keys of app/shared/i18n/playground.py, as
Markdown. The values quote the user's text, so they are escaped. An error without a key (a ValueError
about bounds, say) is shown as its English text, escaped.
"""

from __future__ import annotations

from app.shared.i18n import t
from app.shared.markdown import literal


def formula_message(error: ValueError) -> str:
    key = getattr(error, "key", None)
    if key is None:
        return literal(error)
    values = {name: literal(v) if isinstance(v, str) else v for name, v in error.values.items()}
    text = t(f"formula.{key}", **values)
    if error.position is not None:
        text += t("formula.at_column", column=error.position + 1)
    if error.hint_key:
        text += t("formula.hint_separator") + t(f"formula.{error.hint_key}", **values)
    return text
