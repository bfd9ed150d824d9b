r"""No English on a 简体中文 page: every page rendered in zh, in a few states each, and every word read.

What is read: all text an element shows (bodies, labels, help, options, captions, errors; the LaTeX of
st.latex and of $...$ in Markdown; HTML tables; a table's column names and text cells) and the text of
its figures (Plotly: titles, axis titles, legend names, annotations, buttons, hover texts; Vega-Lite:
titles).
Code (st.code) is Python and is not read.

What may stay in Latin letters, and why (everything else fails the test):
- code: `backticked` spans, dotted names (torch.optim), file names and folders (t10k, validation/),
  words with "_" or a digit (T_max, HW3), the pseudocode's flags in \textit{...} and \mathrm{...}
  names (variables of the formula), LaTeX commands;
- names: CamelCase words (PyTorch, StepLR, AdamW), acronyms in capitals (SGD, CSV, EMA, GPU), one
  letter (x, y, e), and NAMES below: the optimizers, surfaces, data sets and people the lessons name,
  torch's argument names that the controls show beside their Chinese description (ARGUMENTS, read from
  the library), the functions and constants a formula may use (FUNCTIONS, CONSTANTS), and "epoch",
  which Chinese ML writing keeps;
- sub- and superscripts in formulas (\eta_{init}), paths (/data/mnist), the language switcher's
  "English".
"""

from __future__ import annotations

import io
import json
import re
import string
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa
import pytest
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

import optim_core.training.data
from app.shared.i18n import STRINGS
from optim_core.formula.messages import MESSAGES
from optim_core.formula.vocabulary import CONSTANTS, FUNCTIONS
from optim_core.optimizers import RULES
from optim_core.schedules import PLATEAU, SCHEDULES, get_spec
from optim_core.training.config import RunConfig
from optim_core.training.jobs import get_job_manager
from optim_core.training.ownership import new_key
from tests.app.apptest import MAIN, open_view
from tests.app.training_store import training_run_store

NAMES = {
    # optimizers and the people behind them and the lessons
    "adagrad", "adadelta", "adam", "adamax", "nesterov", "leslie", "smith", "hessian",
    # the surfaces
    "rosenbrock", "beale", "himmelblau", "rastrigin",
    # math in formulas and readouts: functions, the LR, not-a-number
    "min", "max", "lr", "sched", "nan", "inf",
    # data sets, file formats, makers, and torch's words the pages quote
    "digits", "mnist", "fashion", "python", "zip", "idx", "apple", "torch", "epoch", "dropout",
    # the language switcher names each language in that language
    "english",
}  # fmt: skip
_PARAMS = [
    *(param for rule in RULES.values() for param in rule.hyperparams),
    *(param for name in SCHEDULES for param in get_spec(name).params),
    *PLATEAU.params,
]
# torch's argument names and the values of its choices (mode="min", threshold_mode="rel")
ARGUMENTS = {param.name for param in _PARAMS} | {
    str(choice) for param in _PARAMS for choice in (getattr(param, "choices", None) or ())
}

# fields of an element's message that a person never sees
HIDDEN_FIELDS = {
    "id", "form_id", "key", "type", "css", "url", "icon", "deferred_file_id", "query_string", "page",
    "page_script_hash", "config", "language", "code_text", "data", "theme", "format", "raw_value",
    "raw_values", "default", "value", "spec", "columns", "use_container_width", "selection_mode",
    # a button's keyboard key ("left", "space"): Streamlit draws it as the key's own label (an arrow,
    # "Space", as printed on the keyboard), not a sentence the page could translate
    "shortcut",
}  # fmt: skip


def element_texts(message: Message) -> list[str]:
    out = []
    for field, value in message.ListFields():
        if field.name in HIDDEN_FIELDS or isinstance(value, (bool, int, float, bytes)):
            continue
        for item in [value] if isinstance(value, (str, Message)) else list(value):
            if isinstance(item, Message):
                out += element_texts(item)
            elif isinstance(item, str):
                out.append(item)
    return out


def figure_texts(spec) -> list[str]:
    """A Plotly or Vega-Lite spec's visible words: titles, legend names, annotations, buttons, hovers."""
    out: list[str] = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "title" and isinstance(value, str):
                out.append(value)
            elif key == "title" and isinstance(value, dict) and isinstance(value.get("text"), str):
                out.append(value["text"])
            elif key in ("text", "label", "prefix") and isinstance(value, str):
                out.append(value)
            elif key == "name" and isinstance(value, str) and _in_legend(spec):
                out.append(value)
            elif key == "hovertemplate" and isinstance(value, str):
                out.append(re.sub(r"%\{[^}]*\}", " ", value))  # without its %{x:.3g} placeholders
            elif key not in ("frames", "customdata", "meta"):
                out += figure_texts(value)
    elif isinstance(spec, list):
        for item in spec:
            out += figure_texts(item)
    return out


def _in_legend(trace: dict) -> bool:
    """Whether Plotly shows a trace's name in the legend (heatmaps and contours have none by default)."""
    default = trace.get("type", "scatter") not in ("heatmap", "contour", "surface", "image")
    return bool(trace.get("showlegend", default))


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("style", "script")

    def handle_endtag(self, tag):
        self.skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(body: str) -> str:
    parser = _Text()
    parser.feed(body)
    return " ".join(parser.parts)


def table_texts(proto) -> list[str]:
    data = getattr(proto, "data", b"")
    if not isinstance(data, bytes) or not data:
        return []
    table = pa.ipc.open_stream(io.BytesIO(data)).read_all()
    out = [str(name) for name in table.column_names]
    for column in table.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            out += [value for value in column.to_pylist() if value]
    return out


def page_texts(at: AppTest) -> list[str]:
    out: list[str] = []

    def walk(node):
        proto = getattr(node, "proto", None)
        kind = type(node).__name__
        if proto is not None and kind != "Code":
            texts = element_texts(proto)
            if kind == "Html" or getattr(proto, "allow_html", False) or kind == "Markdown":
                texts = [html_text(text) for text in texts]
            out.extend(texts)
            if hasattr(proto, "spec") and proto.spec:
                out.extend(html_text(text) for text in figure_texts(json.loads(proto.spec)))
            if kind in ("Dataframe", "Table", "ArrowTable"):
                out.extend(table_texts(proto))
        for child in (getattr(node, "children", None) or {}).values():
            walk(child)

    walk(at._tree)
    return out


_CODE = [
    r"`[^`]*`",  # Markdown code spans
    r":[a-z]+(?:[-/][a-z_]+)*(?:\[|:)",  # Streamlit's directives and icons: :green-badge[, :material/link:
    r"\b\w+\(\)",  # calls: step()
    r"\\(?:textit|mathrm|operatorname|begin|end)\{(?:[^{}]|\\[{}])*\}",  # flags, names in formulas
    r"[_^]\{[^{}]*\}",  # sub- and superscripts: \eta_{init}, g^{ave}
    r"\\[A-Za-z]+",  # LaTeX commands
    r"https?://\S+",
    r"(?<![\w)])(?:/[\w.-]+)+/?",  # paths: /data/mnist
    r"[\w.-]*\w\.\w[\w.()=+-]*",  # dotted names, calls, file names, versions: torch.optim, 2.1+cpu
    r"\b\w+/",  # folders: validation/
    r"\b\w+-\d+\b",  # data sets: food-11, CIFAR-10
    r"\w*[_\d]\w*",  # identifiers: T_max, HW3, t10k
    r"\b[A-Z][a-z]*[A-Z]\w*",  # CamelCase: PyTorch, StepLR, AdamW
    r"\b[A-Z]{2,}s?\b",  # acronyms: SGD, CSV, GPUs
]
_CODE_RE = re.compile("|".join(_CODE))
ALLOWED = NAMES | {word.lower() for word in ARGUMENTS} | set(FUNCTIONS) | set(CONSTANTS)


def english_words(texts: list[str], typed: tuple[str, ...] = ()) -> dict[str, str]:
    """The words outside the allow-list, each with the text it was found in. `typed`: what the user typed
    (a formula, a path): its words are the user's, not the page's."""
    found = {}
    allowed = ALLOWED | {word.lower() for text in typed for word in re.findall(r"[A-Za-z]+", text)}
    for text in texts:
        for word in re.findall(r"[A-Za-z]{2,}", _CODE_RE.sub(" ", text.replace("\\_", "_"))):
            if word.lower() not in allowed:
                found.setdefault(word, text[:160])
    return found


@pytest.fixture(scope="module", autouse=True)
def runs_dir(tmp_path_factory):
    """The Training page's worker pool is the process's one JobManager: a temporary run store here too
    (the pattern of tests/app/test_page_training.py). A data root with folders that are no dataset."""
    root = tmp_path_factory.mktemp("zh-data")
    (root / "empty").mkdir()
    (root / "notes").mkdir()
    (root / "notes" / "readme.txt").write_text("not images")
    with training_run_store(tmp_path_factory, "zh-runs", env={"OPTIM_LAB_DATA_ROOT": str(root)}) as path:
        yield path


def zh(view: str, query: dict | None = None) -> AppTest:
    query = {**(query or {}), "lang": "zh"}
    if view == "home":
        at = AppTest.from_file(MAIN, default_timeout=60)
        at.query_params["lang"] = "zh"
        return at.run()
    return open_view(view, query, timeout=120)


_RULES = list(RULES)
STATES = [
    ("home", {}),
    ("playground", {}),
    *(
        ("playground", {"n_opt": "6", **{f"o{k + 1}": name for k, name in enumerate(_RULES[i : i + 6])}})
        for i in range(0, len(_RULES), 6)
    ),
    ("playground", {"n_opt": "2", "o1": "sgd", "o2": "adam", "sched": "step_lr", "clip": "true"}),
    ("playground", {"surface": "custom", "formula": "x**2 + foo(y)"}),
    ("playground", {"surface": "custom", "formula": "x^2"}),
    ("playground", {"surface": "custom", "formula": "x + log(0)"}),
    ("playground", {"surface": "custom", "formula": "log(-1 - x**2)"}),
    ("analysis", {}),
    ("analysis", {"surface": "custom", "formula": "x**2 + y["}),
    ("schedules", {}),
    ("schedules", {"sched": "cyclic_lr"}),
    ("schedules", {"sched": "one_cycle_lr"}),
    ("ema", {}),
    ("training", {}),
    ("training", {"data": "idx", "path": "empty"}),
    ("training", {"data": "auto", "path": "notes"}),
]


@pytest.mark.parametrize(
    "view, query", STATES, ids=[f"{v}-{'-'.join(q.values()) or 'default'}" for v, q in STATES]
)
def test_no_english_on_a_zh_page(view, query):
    at = zh(view, query)
    assert not at.exception, [e.value for e in at.exception]
    found = english_words(page_texts(at), typed=tuple(query.get(key, "") for key in ("formula", "path")))
    assert not found, "\n".join(f"{word!r} in {text!r}" for word, text in found.items())


def test_no_english_on_a_finished_run_in_zh():
    """A run's view: its status, charts, tables and best weights (a tiny run, 2 optimizers, 2 epochs)."""
    zh("training")  # starts the page's job manager in this run store
    optimizers = [
        {"name": "sgd", "hp": {"lr": 0.05}, "label": "SGD"},
        {"name": "adam", "hp": {"lr": 0.001}, "label": "Adam"},
    ]
    config = RunConfig(
        optimizers=optimizers,
        epochs=2,
        width=0.25,
        max_samples=200,
        ema_decay=0.9,
        schedule="step_lr",
        schedule_kwargs={"step_size": 5},
    )
    key = new_key()
    run = get_job_manager().submit(config, key=key)
    assert get_job_manager().wait(run, timeout=120).status == "finished"
    at = zh("training", {"run": str(run), "key": key})
    assert not at.exception, [e.value for e in at.exception]
    found = english_words(page_texts(at))
    assert not found, "\n".join(f"{word!r} in {text!r}" for word, text in found.items())


def test_the_reader_sees_english():
    """The reader itself: it finds English where there is some, and passes what the allow-list names."""
    assert set(english_words(["输入 the input", r"$$\textbf{for}\ t$$", "`patience` 个 epoch"])) == {
        "the",
        "input",
        "for",
    }
    assert english_words([r"\textit{nesterov} torch.optim StepLR SGD T_max validation/ Adam lr step()"]) == {}
    assert english_words([":green-badge[完成] :material/link: 2.1+cpu /data/mnist"]) == {}
    assert figure_texts({"layout": {"title": {"text": "Loss"}}, "data": [{"name": "a", "x": [1]}]}) == [
        "Loss",
        "a",
    ]


def test_every_library_message_has_its_translation():
    """The keyed messages optim_core gives (a formula's errors, a dataset's reasons) all have i18n keys,
    with the same placeholders as the library's English."""
    for key, english in MESSAGES.items():
        en, zh = STRINGS[f"formula.{key}"]
        names = {field for _, field, _, _ in string.Formatter().parse(english) if field}
        assert {field for _, field, _, _ in string.Formatter().parse(en) if field} == names, key
    data = Path(optim_core.training.data.__file__).parent
    reasons = {r for p in data.glob("*.py") for r in re.findall(r'reason="(\w+)"', p.read_text())}
    assert reasons and not [r for r in sorted(reasons) if f"up.err.{r}" not in STRINGS]
