r"""Each optimizer's update rule, specialised to its settings: the lines its settings select, their values.

The LaTeX is the rule's own docstring (`Rule.latex`, torch's "Algorithm" pseudocode); this module only
selects lines from it, as torch's code does at run time:
- a branch on a setting the page knows (``\textbf{if}\ \mu \neq 0``, ``\textbf{if}\ \textit{nesterov}``)
  keeps the taken branch and drops the other, so SGD and SGD + momentum read differently;
- the settings in the input line get their values (μ = 0.9, β₁ = 0.9, ε = 10⁻⁸); the LR stays γ, as the
  LR slider sets it;
- the page-wide settings add their lines: the gradient noise, the clipping, the schedule's multiplier
  sched(t).
Branches on what changes during the run (RAdam's ρₜ > 5) stay as they are. No streamlit import.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from optim_core.optimizers import RULES
from optim_core.optimizers.radam import RECTIFY_ABOVE, first_rectified_step, rho

QUAD, QQUAD = r"\quad ", r"\qquad "
IF, ELSE = r"\textbf{if}\ ", r"\textbf{else}"
# conditions of the rules' branches that a setting decides, and how
CONDITIONS: dict[str, Callable[[dict], bool]] = {
    r"\lambda \neq 0": lambda hp: hp.get("weight_decay", 0) != 0,
    r"\mu \neq 0": lambda hp: hp.get("momentum", 0) != 0,
    r"\mu > 0": lambda hp: hp.get("momentum", 0) > 0,
    r"\textit{nesterov}": lambda hp: bool(hp.get("nesterov")),
    r"\textit{centered}": lambda hp: bool(hp.get("centered")),
    r"\textit{amsgrad}": lambda hp: bool(hp.get("amsgrad")),
    r"\textit{decoupled}": lambda hp: bool(hp.get("decoupled_weight_decay")),
}
# flags in the input line whose hyperparameter has another name, and settings written without a word
FLAG_KEYS = {"decoupled": "decoupled_weight_decay"}
BARE = {"epsilon": "eps", "beta": "beta"}
# an inline "else" between two branches: "\ \textbf{else}\ " or "\ \ \textbf{else}:\ "
_ELSE_SPLIT = re.compile(r"\s*(?:\\\s)+\\textbf\{else\}:?(?:\\\s)?\s*")
# a setting in the input line: "\mu \text{ (momentum)}", "\beta_1, \beta_2 \text{ (betas)}"
_SETTING = re.compile(r"(\\[A-Za-z]+(?:_\d)?(?:, \\[A-Za-z]+(?:_\d)?)?) \\text\{ \(([^)]*)\)\}")
_FLAG = re.compile(r"\\textit\{(\w+)\}")
_GRADIENT = r"g_t \leftarrow \nabla_\theta f(\theta_{t-1})"
_FOR = r"\textbf{for}"


def number(value: float) -> str:
    """A value as LaTeX: 0.9, 10^{-8}, 3 \\times 10^{-4}."""
    value = float(value)
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        exponent = math.floor(math.log10(abs(value)))
        mantissa = round(value / 10**exponent, 4)
        head = "" if mantissa == 1 else f"{mantissa:g} \\times "
        return f"{head}10^{{{exponent}}}"
    return f"{value:g}"


def specialised_lines(
    name: str, hp: dict, *, noise: bool = False, clip_norm: float | None = None, schedule: bool = False
) -> list[str]:
    """The rule's algorithm lines for these hyperparameters (the rule's defaults fill in the others) and
    page-wide settings."""
    hp = {**RULES[name].defaults, **hp}
    lines, selected = list(RULES[name].latex), []
    while selected != lines:  # a branch inside a kept block is decided once the block is dedented
        selected, lines = lines, _select(lines, hp)
    out = []
    after_for = False
    for line in _input_one_per_line(lines):
        if line.startswith(r"\textbf{input}") or (line.startswith(QQUAD) and not after_for):
            line = _values(line, hp)
            if not line.strip():  # a flag that is off
                continue
        elif after_for and schedule:
            line = re.sub(r"\\gamma(?![A-Za-z_])", r"\\gamma_t", line)
        out.append(line)
        if line.startswith(_FOR):
            after_for = True
            if schedule:
                out.append(QUAD + r"\gamma_t \leftarrow \gamma \cdot \mathrm{sched}(t)")
        elif line.strip().endswith(_GRADIENT):
            if noise:
                out[-1] = line + r" + \sigma \xi_t"
            if clip_norm is not None:
                clip = number(clip_norm)
                out.append(
                    QUAD + rf"g_t \leftarrow g_t \min\!\big(1, {clip} / (\lVert g_t \rVert + 10^{{-6}})\big)"
                )
    if name == "radam":
        out = _rectification(out, float(hp["betas"][1]))
    return [piece for line in out for piece in _wrapped(line)]


_RHO_INF = r"\rho_\infty \leftarrow 2 / (1 - \beta_2) - 1"
_RECTIFIED = rf"\textbf{{if}}\ \rho_t > {RECTIFY_ABOVE:g}:"


def _rectification(lines: list[str], beta2: float) -> list[str]:
    """RAdam's lines with ρ∞'s value and the step its rectification switches on (ρ_t > 5), both from
    optim_core (radam.rho, radam.first_rectified_step): "ρ∞ ← 2/(1 − β₂) − 1 = 1999", "if ρ_t > 5 (t ≥ 6)"."""
    rho_inf = rho(1, beta2)[0]
    start = first_rectified_step(beta2)
    if start is not None:
        when = rf"t \geq {start}"
    elif rho_inf <= RECTIFY_ABOVE:
        when = rf"\rho_t < \rho_\infty \leq {RECTIFY_ABOVE:g}"  # never: the update stays γ m̂_t
    else:
        when = r"t > 10^{6}"
    out = []
    for line in lines:
        line = line.replace(_RHO_INF, f"{_RHO_INF} = {number(rho_inf)}")
        if line.endswith(_RECTIFIED):
            line = line.removesuffix(":") + rf"\ ({when}):"
        out.append(line)
    return out


def _wrapped(line: str) -> list[str]:
    r"""A line of two statements (``A,\ \ B``) as two lines, and ``A \text{ if } c, \text{ else } B`` with
    its `else` on a line of its own, so each line fits beside the map."""
    indent = QUAD if line.startswith(QUAD) else ""
    first, *others = line.split(r",\ \ ")
    out = []
    for piece in [first, *(indent + other for other in others)]:
        head, sep, tail = piece.partition(r", \text{ else } ")
        if sep:
            out += [head + ",", indent + QQUAD + r"\text{else } " + tail]
            continue
        # a step of two terms (NAdam's): the second on a line of its own
        first_term, *more_terms = piece.split(r" - \gamma ")
        if len(more_terms) > 1:
            out += [first_term + r" - \gamma " + more_terms[0]]
            out += [indent + QQUAD + r"- \gamma " + term for term in more_terms[1:]]
        else:
            out.append(piece)
    return out


def specialised_latex(name: str, hp: dict, **page) -> str:
    """One left-aligned LaTeX block (one element: the browser redraws every element at each rerun)."""
    # \small: a line fits the column beside the map
    return r"\small\begin{array}{l}" + r" \\ ".join(specialised_lines(name, hp, **page)) + r"\end{array}"


def _input_one_per_line(lines: list[str]) -> list[str]:
    """The input line(s) as "input: γ (lr), θ₀" and then one setting per line: narrow enough to sit
    beside the map."""
    head, rest = [], []
    for k, line in enumerate(lines):
        if line.startswith(r"\textbf{input}") or (head and line.startswith(QQUAD)):
            head.append(line.removeprefix(QQUAD).removesuffix(","))
        elif head:
            rest = lines[k:]
            break
    if not head:
        return lines
    items = [item.strip() for item in ",\\ ".join(head).split(",\\ ") if item.strip()]
    # "input: γ (lr), θ₀" as written; the settings after θ₀ one per line
    first = next((k + 1 for k, item in enumerate(items) if item.startswith(r"\theta_0")), 1)
    return [",\\ ".join(items[:first]), *(QQUAD + item for item in items[first:]), *rest]


def _values(line: str, hp: dict) -> str:
    """An input line with its settings' values; "" for a flag that is off."""

    def value(match: re.Match) -> str:
        symbols, words = match.group(1), match.group(2)
        key = words.split(",")[0].strip().replace(" ", "_")
        if key == "lr" or key not in hp:
            return match.group(0)
        values = hp[key] if isinstance(hp[key], (tuple, list)) else (hp[key],)
        parts = [f"{s} = {number(v)}" for s, v in zip(symbols.split(", "), values, strict=False)]
        return ", ".join(parts) + rf" \text{{ ({words})}}"

    line = _SETTING.sub(value, line)
    for symbol, key in BARE.items():
        if key in hp:
            given = rf"\{symbol} = {number(hp[key])}"
            line = re.sub(rf"\\{symbol}(?=,|$)", lambda _, given=given: given, line)
    flag = _FLAG.fullmatch(line.removeprefix(QQUAD))
    return "" if flag and not hp.get(FLAG_KEYS.get(flag.group(1), flag.group(1)), True) else line


def _select(lines: list[str], hp: dict) -> list[str]:
    """Keep the branches these settings take: inline ones, block ones (a header and deeper lines) and an
    `else` line after them."""
    out: list[str] = []
    block: bool | None = None  # the open block's condition: its deeper lines are kept (dedented) or dropped
    last: bool | None = None  # the last decided condition at the outer level, for an `else` line after it
    for line in lines:
        if line.startswith(QQUAD) and block is not None:
            if block:
                out.append(QUAD + line[len(QQUAD) :])
            continue
        block = None
        if not line.startswith(QUAD):
            out.append(line)
            continue
        text = line[len(QUAD) :]
        if text.startswith(ELSE) and last is not None:
            if not last:
                out.append(QUAD + re.sub(r"^\\textbf\{else\}:?(\\\s)?\s*", "", text))
            last = None
            continue
        decided, kept, header = _branch(text, hp)
        last = decided
        if header:
            block = decided
            if decided is None:
                out.append(line)
        elif kept is not None:
            out.append(QUAD + kept)
    return out


def _branch(text: str, hp: dict) -> tuple[bool | None, str | None, bool]:
    """(the condition's value or None, the text kept or None, whether it opens a block)."""
    if not text.startswith(IF):
        return None, text, False
    condition, _, body = text[len(IF) :].partition(":")
    test = CONDITIONS.get(condition.strip())
    body = re.sub(r"^(\\\s)+", "", body.strip()).strip()
    if test is None:
        return None, text, not body
    taken = test(hp)
    if not body:
        return taken, None, True
    if body.startswith(IF):  # a nested branch takes the `else`
        then, otherwise = body, ""
    else:
        then, otherwise = (part.strip() for part in _split_else(body))
    chosen = then if taken else otherwise
    if chosen.startswith(IF):
        _, chosen, _ = _branch(chosen, hp)
    return taken, chosen or None, False


def _split_else(body: str) -> tuple[str, str]:
    """An inline branch's two sides: (then, else), else "" where there is none."""
    match = _ELSE_SPLIT.search(body)
    return (body, "") if match is None else (body[: match.start()], body[match.end() :])
