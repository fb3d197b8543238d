"""Saved optimizer state: which optimizer wrote it, and whether another one may continue it.

PyTorch's ``Optimizer.load_state_dict`` takes any saved state whose group sizes match: it
replaces the groups' hyperparameters with the saved ones and checks neither who wrote them nor
their values. A state saved by ``torch.optim.AdamW`` then lacks the keys the book's optimizers
read (``decoupled``, ``independent``, ``cautious``) and the first ``step()`` fails with a
``KeyError``; an edited ``lr=-5`` loads without a word. Here:

- the book's optimizers record who wrote a state (:data:`WRITER`, e.g. ``"helpers.optim.AdamW"``);
- :func:`state_for` converts what one of them can continue exactly: ``torch.optim``'s Adam, AdamW
  and SGD into the book's class of the same name, unless the state uses a feature the book does
  not implement (``amsgrad``, ``maximize``, Nesterov momentum, dampening). Any other writer is
  refused with a ``ValueError`` that names it;
- :func:`check_for_torch` is the same check for a ``torch.optim`` optimizer: the writer must be
  its own class, and the loaded values in range (the book's optimizers check theirs as their
  constructors do).

Introduced in chapter 3 (Which weights to decay), with the checked resume of
:func:`helpers.ch3.rules_sweep.load_state_dict_checked`.
"""

from __future__ import annotations

import torch

from helpers.checks import check_betas, check_real

WRITER = "written_by"  # the state_dict key that names the optimizer that wrote it
BOOK_KEYS = ("decoupled", "independent", "cautious")  # in every group of the book's optimizers

# torch.optim's settings that the book's optimizers do not implement, and the value the state
# must have for the book's optimizer of the same name to continue it exactly
UNSUPPORTED = {"amsgrad": False, "maximize": False, "nesterov": False, "dampening": 0}
# keys of torch.optim's groups that mean nothing to the book's optimizers: dropped on conversion
TORCH_ONLY = ("foreach", "fused", "capturable", "differentiable", "decoupled_weight_decay")


def optimizer_name(optimizer: torch.optim.Optimizer) -> str:
    """``"torch.optim.AdamW"``, ``"helpers.optim.AdamW"``, ``"helpers.muon.Muon"``, …"""
    cls = type(optimizer)
    module = "torch.optim" if cls.__module__.startswith("torch.optim") else cls.__module__
    return f"{module}.{cls.__name__}"


def writer_of(state_dict: dict) -> str:
    """The optimizer that wrote ``state_dict``: recorded by the book's, recognised by its keys
    for ``torch.optim``'s Adam, AdamW and SGD, otherwise a description."""
    if WRITER in state_dict:
        return str(state_dict[WRITER])
    keys = set().union(*(group.keys() for group in state_dict["param_groups"]))
    if set(BOOK_KEYS) <= keys:
        return "one of the book's optimizers (saved without its name)"
    if {"amsgrad", "decoupled_weight_decay"} <= keys:
        decoupled = state_dict["param_groups"][0]["decoupled_weight_decay"]
        return "torch.optim.AdamW" if decoupled else "torch.optim.Adam"
    if "amsgrad" in keys:  # torch before 2.8 did not record which of the two it was
        return "torch.optim.Adam or torch.optim.AdamW (the state does not say which)"
    if {"dampening", "nesterov"} <= keys:
        return "torch.optim.SGD"
    return f"another optimizer (its groups hold {', '.join(sorted(keys - {'params'}))})"


def _from_torch(group: dict, writer: str) -> dict:
    """A ``torch.optim`` group as the book's optimizer of the same name keeps it."""
    for key, needed in UNSUPPORTED.items():
        if group.get(key, needed) != needed:
            raise ValueError(
                f"this state was written by {writer} with {key}={group[key]!r}, which the "
                "book's optimizers do not implement; continue it with the optimizer that wrote it"
            )
    converted = {k: v for k, v in group.items() if k not in (*TORCH_ONLY, *UNSUPPORTED)}
    converted.update(
        decoupled=bool(group.get("decoupled_weight_decay", False)),
        independent=False,
        cautious=False,
    )
    converted.setdefault("lr_0", group.get("initial_lr", group["lr"]))
    return converted


def state_for(optimizer: torch.optim.Optimizer, state_dict: dict) -> dict:
    """``state_dict`` as the book's ``optimizer`` can load it, or a ValueError naming its writer.

    The book's optimizer of the same class loads its own state as it is; ``torch.optim``'s
    Adam, AdamW and SGD state is converted for the book's Adam, AdamW and SGD (the missing keys
    get the values that make the same update: ``decoupled`` as torch's
    ``decoupled_weight_decay``, ``independent=False``, ``cautious=False``; Adam's step count
    becomes an int). The hyperparameters are not checked here: the optimizer checks them.
    """
    writer, name = writer_of(state_dict), optimizer_name(optimizer)
    groups = state_dict["param_groups"]
    if writer == name or (WRITER not in state_dict and writer.startswith("one of the book's")):
        missing = sorted(set(optimizer.defaults) - set().union(*(g.keys() for g in groups)))
        if missing:
            raise ValueError(
                f"this state was written by {writer} for other settings: its groups lack "
                f"{', '.join(missing)}, which {name} needs; load it into the optimizer "
                "that wrote it"
            )
        return state_dict
    if writer != name.replace("helpers.optim.", "torch.optim."):
        raise ValueError(
            f"this state was written by {writer}; {name} cannot continue it (its moments and "
            f"settings mean something else). Load it into a {writer.split(' (')[0]}"
        )
    state = {
        key: {k: int(v) if k == "step" else v for k, v in values.items()}
        for key, values in state_dict["state"].items()
    }
    converted = [_from_torch(group, writer) for group in groups]
    return {**state_dict, "state": state, "param_groups": converted, WRITER: name}


def check_for_torch(optimizer: torch.optim.Optimizer, state_dict: dict) -> None:
    """Raise ValueError unless a ``torch.optim`` ``optimizer`` can continue ``state_dict``.

    Refused: a state of the book's optimizers, or of another ``torch.optim`` class that can be
    recognised (Adam, AdamW, SGD), or whose groups lack a setting of ``optimizer``; and
    hyperparameters out of range (``lr`` ≤ 0, ``weight_decay``, ``momentum`` or ``eps`` < 0,
    ``betas`` outside [0, 1)).
    """
    writer, name = writer_of(state_dict), optimizer_name(optimizer)
    book = WRITER in state_dict or writer.startswith("one of the book's")
    groups = state_dict["param_groups"]
    missing = sorted(set(optimizer.defaults) - set().union(*(g.keys() for g in groups)))
    if book or (writer.startswith("torch.optim.") and writer != name) or missing:
        lacking = f" (its groups lack {', '.join(missing)})" if missing and not book else ""
        raise ValueError(f"this state was written by {writer}{lacking}; {name} cannot continue it")
    for i, group in enumerate(groups):
        try:
            check_real("lr", group["lr"], low=0, low_open=True)
            for key in ("weight_decay", "momentum", "eps"):
                if key in group:
                    check_real(key, group[key], low=0)
            if "betas" in group:
                check_betas("betas", group["betas"])
        except ValueError as error:
            raise ValueError(f"param group {i}: the loaded {error}") from None
