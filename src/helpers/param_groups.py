"""Which tensors decay: the four rules real GPTs used, as optimizer parameter groups.

``param_groups(model, λ, rule=...)`` splits a model's parameters into a decayed and a not-decayed
group (each tensor once, a tied embedding/head counted once, every group named) and
``describe_param_groups`` says what landed where, as nanoGPT's ``configure_optimizers`` prints it.

Introduced in chapter 3 (Which weights to decay).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from helpers.checks import check_choice, check_real

RULES = ("nanogpt", "mingpt", "olmo2", "all")


def _embedding_weights(model: nn.Module) -> set[int]:
    """ids of every tensor that is the weight of an nn.Embedding (ids, never a set of tensors)."""
    return {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}


def _linear_weights(model: nn.Module) -> set[int]:
    return {id(m.weight) for m in model.modules() if isinstance(m, nn.Linear)}


def _decays(rule: str, param: torch.Tensor, linear: set[int], embedding: set[int]) -> bool:
    """Whether ``rule`` decays ``param``. A tied tensor is one tensor, so it gets one answer."""
    if rule == "nanogpt":  # nanoGPT since May 2023 (and GPT-1's code): every matrix
        return param.dim() >= 2
    if rule == "mingpt":  # minGPT: nn.Linear weights only; a head tied to wte is an embedding
        return id(param) in linear and id(param) not in embedding
    # OLMo 2's configs: decay_norm_and_bias true, decay_embeddings false. OLMo 2 has no biases,
    # so there this decays the matrices and the RMSNorm/QK-norm gains; here, biases too.
    if rule == "olmo2":
        return id(param) not in embedding
    # "all": Nanda et al.'s grokking runs. (OLMo-7B-0724 sets both flags, but it has no biases
    # or norm gains: it decays its matrices and embedding, the nanoGPT rule on that model.)
    return True


def param_groups(model: nn.Module, weight_decay: float, rule: str = "nanogpt") -> list[dict]:
    """Split ``model``'s trainable parameters into a decayed and a not-decayed param group.

    Introduced in chapter 3 (Which weights to decay). Rules:

    - ``"nanogpt"``: every tensor with ≥ 2 dimensions decays (matrices and embeddings); biases
      and norm gains do not.
    - ``"mingpt"``: only ``nn.Linear`` weights decay; embeddings, norms and biases do not. A
      Linear weight tied to an ``nn.Embedding`` (the usual tied output head) counts as the
      embedding and is not decayed.
    - ``"olmo2"``: everything decays except the weights of every ``nn.Embedding``, positional
      ones included (norm gains and biases are decayed).
    - ``"all"``: everything decays.

    Returns ``[decay, no_decay]``, always both and in that order (a group may be empty), each a
    dict with ``params``, ``param_names``, ``weight_decay`` (λ and 0.0) and ``name`` ("decay",
    "no_decay"); any ``torch.optim`` optimizer accepts them, and ``param_names`` is PyTorch's
    own key for named parameters. Order is the model's ``named_parameters()`` order, so it is
    the same in every run (``load_state_dict`` matches state by position). Tied tensors appear
    once, under their first name; parameters with ``requires_grad=False`` are left out.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    weight_decay = check_real("weight_decay", weight_decay, low=0)
    check_choice("rule", rule, RULES)
    linear, embedding = _linear_weights(model), _embedding_weights(model)
    decay = {"name": "decay", "params": [], "param_names": [], "weight_decay": weight_decay}
    no_decay = {"name": "no_decay", "params": [], "param_names": [], "weight_decay": 0.0}
    # named_parameters() yields a tied tensor once, under the first name that reaches it
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    for name, param in trainable:
        group = decay if _decays(rule, param, linear, embedding) else no_decay
        group["params"].append(param)
        group["param_names"].append(name)

    # minGPT's check: every trainable tensor is in exactly one group, none is missing
    placed = [id(p) for p in decay["params"] + no_decay["params"]]
    if len(placed) != len(set(placed)) or set(placed) != {id(p) for _, p in trainable}:
        raise AssertionError("param_groups: a parameter is missing or in both groups")
    return [decay, no_decay]


class GroupRow(NamedTuple):
    """One line of :func:`describe_param_groups`."""

    group: str  # "decay" or "no_decay"
    names: list[str]  # parameter names, in the model's order
    tensors: int  # how many tensors
    parameters: int  # how many scalar parameters (a tied tensor counted once)


def describe_param_groups(model: nn.Module, rule: str = "nanogpt") -> list[GroupRow]:
    """Rows (group, parameter names, tensor count, parameter count) for ``param_groups``.

    Introduced in chapter 3 (Which weights to decay). nanoGPT's ``configure_optimizers`` prints
    the same numbers; here they come back as data so a chapter can tabulate or assert them.
    """
    return [
        GroupRow(
            g["name"], list(g["param_names"]), len(g["params"]), sum(p.numel() for p in g["params"])
        )
        for g in param_groups(model, weight_decay=0.0, rule=rule)
    ]
