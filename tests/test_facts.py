"""External facts the book states that an installed library can answer, checked at the pins.

The chapters quote PyTorch's signatures, defaults and docstrings; they are checked here against
the pinned torch (2.13), so a version bump that changes one fails loudly. Facts about
repositories and papers cannot be checked offline: ``tests/test_real_models.py`` checks that
the real-models table and ``references.bib`` agree with each other and with what was read in
those sources.
"""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest
import torch
from torch import nn

from helpers.ch3.real_models import bib_keys, load_models

ROOT = Path(__file__).resolve().parents[1]
PINNED = "2.13."
pinned_torch = pytest.mark.skipif(
    not torch.__version__.startswith(PINNED),
    reason=f"the book states torch {PINNED}x's optimizers; this is torch {torch.__version__}",
)


def default(cls, name):
    return inspect.signature(cls).parameters[name].default


def doc(obj) -> str:
    """A docstring with its whitespace collapsed, so phrases match across line breaks."""
    return " ".join((obj.__doc__ or "").split())


def optimizers_with(argument: str) -> set[str]:
    return {
        name
        for name, cls in vars(torch.optim).items()
        if isinstance(cls, type)
        and issubclass(cls, torch.optim.Optimizer)
        and argument in inspect.signature(cls).parameters
    }


# --- Chapter 2 and the notation page: which optimizers take weight_decay, and what it means ---


@pinned_torch
def test_twelve_torch_optimizers_take_weight_decay():
    # chapter 2's opening: "Twelve of PyTorch's optimizers take an argument called weight_decay"
    assert optimizers_with("weight_decay") == {
        "ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW",
        "Adamax", "Muon", "NAdam", "RAdam", "RMSprop", "SGD",
    }  # fmt: skip


@pinned_torch
def test_adam_nadam_radam_have_the_decoupled_switch_off_by_default():
    assert optimizers_with("decoupled_weight_decay") == {"Adam", "NAdam", "RAdam"}
    for cls in (torch.optim.Adam, torch.optim.NAdam, torch.optim.RAdam):
        assert default(cls, "decoupled_weight_decay") is False
        assert default(cls, "weight_decay") == 0
    assert "if True, this optimizer is equivalent to AdamW" in doc(torch.optim.Adam)


def test_adamw_is_adam_with_the_switch_on():
    assert issubclass(torch.optim.AdamW, torch.optim.Adam)
    assert "decoupled_weight_decay=True" in inspect.getsource(torch.optim.AdamW.__init__)
    paths = []
    for make in (
        lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=0.3),
        lambda p: torch.optim.Adam(p, lr=0.1, weight_decay=0.3, decoupled_weight_decay=True),
    ):
        w = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
        optimizer, path = make([w]), []
        for _ in range(50):
            w.grad = 3 * (w.detach() - 1)  # any gradient; the same for both
            optimizer.step()
            path.append(w.detach().clone())
        paths.append(torch.stack(path))
    assert torch.equal(*paths)


def test_adam_default_weight_decay_is_l2_added_to_the_gradient():
    runs = []
    for decay_in_optimizer in (True, False):
        w = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
        optimizer = torch.optim.Adam([w], lr=0.1, weight_decay=0.3 if decay_in_optimizer else 0)
        for _ in range(50):
            g = 3 * (w.detach() - 1)
            w.grad = g if decay_in_optimizer else g + 0.3 * w.detach()  # g + λθ by hand
            optimizer.step()
        runs.append(w.detach())
    assert torch.allclose(*runs, rtol=0, atol=1e-15)
    assert "weight decay (L2 penalty)" in doc(torch.optim.Adam)


@pinned_torch
def test_defaults_the_chapters_quote():
    # chapter 2: "both take lr=1e-3, betas=(0.9, 0.999), eps=1e-8"; 0 in Adam, 1e-2 in AdamW
    for cls in (torch.optim.Adam, torch.optim.AdamW):
        assert default(cls, "lr") == 1e-3
        assert default(cls, "betas") == (0.9, 0.999)
        assert default(cls, "eps") == 1e-8
    assert default(torch.optim.AdamW, "weight_decay") == 1e-2
    assert default(torch.optim.SGD, "weight_decay") == 0
    assert "weight decay (L2 penalty)" in doc(torch.optim.SGD)


@pinned_torch
def test_muon_decays_by_one_minus_lr_lambda_and_defaults_to_0_1():
    assert default(torch.optim.Muon, "weight_decay") == 0.1
    # its docstring still says "(L2 penalty)"; chapter 2 notes that the code is decoupled
    assert "weight decay (L2 penalty)" in doc(torch.optim.Muon)
    assert r"\theta_{t-1} - \gamma\,\lambda\,\theta_{t-1}" in torch.optim.Muon.__doc__
    gen = torch.Generator().manual_seed(0)
    W = torch.randn(4, 6, generator=gen, dtype=torch.float64, requires_grad=True)
    start = W.detach().clone()
    muon = torch.optim.Muon([W], lr=0.02, weight_decay=0.5)  # either lr adjustment alike
    W.grad = torch.zeros_like(W)  # only the decay acts
    muon.step()
    assert torch.allclose(W.detach(), (1 - 0.02 * 0.5) * start, rtol=1e-14, atol=0)


# --- Chapter 1: PyTorch's losses ---


def test_mse_loss_has_no_half_and_losses_are_means_by_default():
    x = torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64)
    y = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)
    assert nn.MSELoss()(x, y).item() == pytest.approx(((x - y) ** 2).mean().item(), rel=1e-15)
    assert nn.MSELoss().reduction == nn.CrossEntropyLoss().reduction == "mean"


# --- Chapter 3: the set() trap ---


def test_tensor_hash_is_identity_and_the_optimizer_warns_about_sets():
    assert inspect.getsource(torch.Tensor.__hash__).rstrip().endswith("return id(self)")
    optimizer_doc = doc(torch.optim.Optimizer)
    assert "deterministic ordering that is consistent between runs" in optimizer_doc
    assert "match state WITHOUT additional verification" in doc(torch.optim.Optimizer.state_dict)
    p = nn.Parameter(torch.zeros(2))
    with pytest.raises(TypeError):
        torch.optim.AdamW([{"params": {p}}])


# --- references.bib: every entry is cited, and what the table cites is in it ---


def _book_citations() -> set[str]:
    text = []
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text += ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"]
    text += [path.read_text(encoding="utf-8") for path in sorted((ROOT / "book").glob("*.md"))]
    cited = set()
    for match in re.finditer(r"\{(?:foot)?cite[a-z:]*\}`([^`]*)`", "\n".join(text)):
        cited |= {key.strip() for key in match.group(1).split(",")}
    return cited


def test_every_bibliography_entry_is_cited_by_a_chapter_or_the_table():
    keys = set(bib_keys((ROOT / "references.bib").read_text(encoding="utf-8")))
    table = {key for row in load_models() for key in row.sources}
    cited = _book_citations()
    assert cited <= keys, f"cited but not in references.bib: {sorted(cited - keys)}"
    uncited = sorted(keys - cited - table)
    assert not uncited, f"in references.bib, cited nowhere: {uncited}"


def test_pytorch_facts_are_recorded_as_checked_at_the_pinned_version():
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    entry = bib[bib.index("@misc{pytorch_adamw") :].split("\n}", 1)[0]
    pinned = next(
        line.split("==")[1].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.startswith("torch==")
    )
    assert f"torch {pinned}" in entry
