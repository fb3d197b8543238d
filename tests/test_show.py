"""helpers.show: the lines a chapter shows are the installed ones, linked to the right place."""

import inspect
from pathlib import Path

import pytest
import yaml

from helpers import show
from helpers.optim import AdamW, WeightDecayOptimizer
from helpers.param_groups import param_groups

ROOT = Path(__file__).resolve().parents[1]


def test_the_repository_is_the_one_in_the_book_config():
    repository = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    assert show.REPOSITORY == repository["url"] and show.BRANCH == repository["branch"]


def test_a_whole_function_with_its_file_and_line_numbers():
    piece = show.snippet(param_groups)
    lines, first = inspect.getsourcelines(param_groups)
    assert piece.path == "src/helpers/param_groups.py"
    assert (piece.first, piece.last) == (first, first + len(lines) - 1)
    on_disk = (ROOT / piece.path).read_text().splitlines()[piece.first - 1 : piece.last]
    assert piece.code.splitlines() == on_disk  # a top-level function: no indent to remove
    assert piece.url.endswith(f"/blob/main/src/helpers/param_groups.py#L{first}-L{piece.last}")


def test_a_slice_of_a_method_names_exactly_its_lines():
    piece = show.snippet(WeightDecayOptimizer._weight_decay, start="if group", stop="return")
    on_disk = (ROOT / piece.path).read_text().splitlines()
    assert "if group" in on_disk[piece.first - 1] and "return" in on_disk[piece.last - 1]
    assert piece.code.startswith("if group") and piece.code.splitlines()[-1].strip().startswith(
        "return"
    )
    # an inherited method is shown where it is defined
    assert show.snippet(AdamW._weight_decay).path == "src/helpers/optim.py"


def test_markdown_and_text_forms(capsys):
    piece = show.snippet(param_groups, stop='"""')
    assert piece._repr_markdown_().startswith("```python\ndef param_groups(")
    assert piece.url in piece._repr_markdown_()
    show.show(param_groups, stop='"""')  # no IPython kernel here: printed
    assert capsys.readouterr().out.startswith("# src/helpers/param_groups.py, lines ")


def test_bad_requests_say_what_is_wrong():
    with pytest.raises(ValueError, match="start='no such line'"):
        show.snippet(param_groups, start="no such line")
    with pytest.raises(ValueError, match="obj must be a function"):
        show.snippet(42)
    with pytest.raises(ValueError, match="helpers package"):
        show.snippet(inspect.getsourcelines)
