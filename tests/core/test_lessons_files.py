"""Lesson files are untrusted data: every malformed file gives a LessonError naming the file and the field,
sizes and counts are bounded, and a file is parsed as TOML, never run."""

import ast
import re
from pathlib import Path

import pytest

from optim_core.lessons import LessonError, limits, load_lesson, load_lessons
from tests.core.test_lessons import MINIMAL

PACKAGE = Path(__file__).resolve().parents[2] / "optim_core" / "lessons"

ANSWER = """
[[answers]]
id = "{id}"
subject = {subject}
text = {{ en = "X", zh = "某" }}
"""


def write(folder: Path, text: str, name: str = "07-broken.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(folder: Path, text: str, name: str = "07-broken.toml") -> str:
    with pytest.raises(LessonError) as caught:
        load_lesson(write(folder, text, name))
    return str(caught.value)


# (what is wrong, how to break MINIMAL, the field the message must name, a phrase of the message)
BROKEN = [
    ("a missing field", lambda t: t.replace("formula = 'x'\n", ""), "formula", "is missing"),
    (
        "a missing title",
        lambda t: t.replace('title = { en = "T", zh = "标题" }\n', ""),
        "title",
        "is missing",
    ),
    (
        "a wrong type",
        lambda t: t.replace("steps = 50", 'steps = "fifty"'),
        "scene.steps",
        "must be an integer",
    ),
    ("a float step", lambda t: t.replace("steps = 50", "steps = 50.5"), "scene.steps", "must be an integer"),
    (
        "steps beyond the page",
        lambda t: t.replace("steps = 50", "steps = 1000000"),
        "scene.steps",
        "[10, 2000]",
    ),
    (
        "an unknown answer id",
        lambda t: t.replace('expected = "b"', 'expected = "z"'),
        "expected",
        "not an answer id",
    ),
    ("an unknown optimizer", lambda t: t.replace('"sgd"', '"adamx"', 1), "scene.runs[0].optimizer", "adamx"),
    (
        "an unknown hyperparameter",
        lambda t: t.replace("{ lr = 0.5 }", "{ lr = 0.5, betas = [0.9, 0.99] }"),
        "scene.runs[0].hyperparams",
        "betas",
    ),
    (
        "a negative lr",
        lambda t: t.replace("{ lr = 0.5 }", "{ lr = -0.5 }"),
        "scene.runs[0].hyperparams",
        "lr",
    ),
    ("an unknown surface", lambda t: t.replace('"bowl"', '"volcano"'), "scene.surface", "volcano"),
    (
        "an unknown surface parameter",
        lambda t: t.replace('surface = "bowl"', 'surface = "bowl"\nsurface_params = { depth = 2.0 }'),
        "scene.surface_params",
        "depth",
    ),
    ("a zh text missing", lambda t: t.replace(', zh = "乙"', ""), "answers[1].text.zh", "is missing"),
    ("an empty text", lambda t: t.replace('en = "Q?"', 'en = "  "'), "question.en", "is empty"),
    (
        "too many answers",
        lambda t: t + "".join(ANSWER.format(id=i, subject=0) for i in "cde"),
        "answers",
        "it needs 2 to 4",
    ),
    ("one answer", lambda t: t[: t.index('[[answers]]\nid = "b"')], "answers", "it needs 2 to 4"),
    ("a repeated answer id", lambda t: t.replace('id = "b"', 'id = "a"'), "answers[1].id", "repeats"),
    (
        "a subject out of range",
        lambda t: t.replace("subject = 1", "subject = 7"),
        "answers[1].subject",
        "[0, 1]",
    ),
    (
        "an unknown page",
        lambda t: t.replace('page = "playground"', 'page = "casino"'),
        "scene.page",
        "casino",
    ),
    ("an unknown quantity", lambda t: t.replace('"distance_at"', '"happiness"'), "measure.kind", "happiness"),
    (
        "a distance on a surface without a minimum",
        lambda t: t.replace('"bowl"', '"saddle"'),
        "measure.kind",
        "has no minimum",
    ),
    ("an unknown pick", lambda t: t.replace('pick = "max"', 'pick = "best"'), "measure.pick", "best"),
    ("a misspelt field", lambda t: t.replace("order = 1", "order = 1\ntitel = 3"), "titel", "is not a field"),
    (
        "an unknown language",
        lambda t: t.replace('zh = "标题"', 'zh = "标题", fr = "T"'),
        "title.fr",
        "not a field",
    ),
    (
        "a start off the map",
        lambda t: t.replace("steps = 50", "steps = 50\nstart = [1e9, 0]"),
        "scene.start.x",
        "must be in",
    ),
    (
        "an unknown noise",
        lambda t: t.replace("steps = 50", 'steps = 50\nnoise = "loud"'),
        "scene.noise",
        "loud",
    ),
    (
        "weight decay per run",
        lambda t: t.replace("{ lr = 0.5 }", "{ lr = 0.5, weight_decay = 0.1 }"),
        "scene.runs[0].hyperparams.weight_decay",
        "scene.weight_decay",
    ),
]


@pytest.mark.parametrize("what, breaks, field, phrase", BROKEN, ids=[case[0] for case in BROKEN])
def test_a_malformed_file_names_the_file_and_the_field(tmp_path: Path, what, breaks, field, phrase):
    text = breaks(MINIMAL)
    assert text != MINIMAL
    message = error_of(tmp_path, text)
    assert message.startswith("07-broken.toml: "), message
    assert f" {field} " in f" {message.split(': ', 1)[1]}", message
    assert phrase in message, message


def test_bounded_counts(tmp_path: Path):
    runs = '[[scene.runs]]\noptimizer = "sgd"\n' * (limits.MAX_RUNS + 1)
    text = MINIMAL.replace('[[scene.runs]]\noptimizer = "sgd"\nhyperparams = { lr = 0.5 }\n', runs, 1)
    assert "scene.runs has 8 entries" in error_of(tmp_path, text)
    long_text = "x" * (limits.MAX_TEXT_CHARS + 1)
    assert "question.en has 2001 characters" in error_of(tmp_path, MINIMAL.replace('"Q?"', f'"{long_text}"'))


def test_nearest_answers_need_a_value_and_a_subject(tmp_path: Path):
    nearest = MINIMAL.replace('pick = "max"', 'pick = "nearest"')
    assert "measure.subject is missing" in error_of(tmp_path, nearest)
    nearest = nearest.replace('pick = "nearest"', 'pick = "nearest"\nsubject = 0')
    assert "answers[0].subject is not used with pick = 'nearest'" in error_of(tmp_path, nearest)
    valued = nearest.replace("subject = 0\ntext", "value = 0.1\ntext").replace(
        "subject = 1\ntext", "value = 2\ntext"
    )
    lesson = load_lesson(write(tmp_path, valued))
    assert [a.value for a in lesson.answers] == [0.1, 2.0]
    assert "answers[0].value must be in (0, 1e+12]" in error_of(
        tmp_path, valued.replace("value = 0.1", "value = 0")
    )


def test_a_schedule_scene_checks_the_schedules_arguments(tmp_path: Path):
    text = """
order = 1
formula = 'x'
expected = "a"
title = { en = "T", zh = "标题" }
question = { en = "Q?", zh = "问题?" }
explanation = { en = "E.", zh = "解释。" }
[scene]
page = "schedules"
steps = 100
[[scene.curves]]
name = "step_lr"
args = { step_size = 10 }
[[scene.curves]]
name = "cosine_annealing_lr"
args = { T_max = 100 }
[measure]
kind = "lr_at"
pick = "max"
step = 50
[[answers]]
id = "a"
subject = 1
text = { en = "A", zh = "甲" }
[[answers]]
id = "b"
subject = 0
text = { en = "B", zh = "乙" }
"""
    assert load_lesson(write(tmp_path, text)).scene.page == "schedules"
    assert "scene.curves[0].args are invalid" in error_of(
        tmp_path, text.replace("step_size = 10", "step_size = -1")
    )
    assert "scene.curves[0].name must be one of" in error_of(tmp_path, text.replace('"step_lr"', '"warmup"'))
    assert "measure.step must be in [0, 99]" in error_of(tmp_path, text.replace("step = 50", "step = 100"))


def test_an_oversized_file_is_refused_before_it_is_parsed(tmp_path: Path):
    padding = "# " + "x" * limits.MAX_FILE_BYTES + "\n"
    message = error_of(tmp_path, padding + MINIMAL)
    assert message.startswith("07-broken.toml: ") and "at most 32768" in message


def test_a_file_is_toml_only_never_code(tmp_path: Path):
    marker = tmp_path / "ran"
    code = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n"
    assert "not valid TOML" in error_of(tmp_path, code)
    assert not marker.exists()
    (tmp_path / "bad.toml").write_bytes(b"\xff\xfe order = 1")
    with pytest.raises(LessonError, match=r"^bad\.toml: not UTF-8"):
        load_lesson(tmp_path / "bad.toml")


def test_the_loader_has_no_way_to_run_code():
    """No eval, exec, import by name, pickle, YAML or subprocess anywhere in optim_core/lessons."""
    forbidden_calls = {"eval", "exec", "compile", "__import__", "import_module", "load", "loads"}
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
                assert not any(re.match(r"(pickle|yaml|subprocess|importlib|marshal)", n) for n in names), (
                    path
                )
            if isinstance(node, ast.Call) and ast.unparse(node.func) != "re.compile":
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                owner = getattr(getattr(func, "value", None), "id", "")
                if name in forbidden_calls:
                    assert owner == "tomllib", f"{path.name}: {ast.unparse(node)}"


def test_links_and_odd_names_are_refused(tmp_path: Path):
    target = write(tmp_path, MINIMAL, "real.toml")
    (tmp_path / "link.toml").symlink_to(target)
    with pytest.raises(LessonError, match=r"^link\.toml: not a regular file"):
        load_lessons(tmp_path)
    (tmp_path / "link.toml").unlink()
    write(tmp_path, MINIMAL, "bad name!.toml")
    with pytest.raises(LessonError, match=r"^bad name!\.toml: the file name"):
        load_lessons(tmp_path)


def test_a_missing_folder_and_too_many_files(tmp_path: Path, monkeypatch):
    with pytest.raises(LessonError, match="does not exist"):
        load_lessons(tmp_path / "nowhere")
    monkeypatch.setattr(limits, "MAX_FILES", 2)
    for i in range(3):
        write(tmp_path, MINIMAL, f"l{i}.toml")
    with pytest.raises(LessonError, match="more than 2 lesson files"):
        load_lessons(tmp_path)
