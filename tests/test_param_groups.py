"""helpers.param_groups: which tensors each rule decays, each once, in a fixed order."""

import pytest
import torch
from torch import nn

from helpers import optim
from helpers.param_groups import RULES, describe_param_groups, param_groups

VOCAB, DIM, CONTEXT = 11, 4, 5


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln = nn.LayerNorm(DIM)
        self.attn = nn.Linear(DIM, 3 * DIM)
        self.proj = nn.Linear(3 * DIM, DIM)


class MiniGPT(nn.Module):
    """The parameter structure of a GPT: wte, wpe, a block, ln_f and a head tied to wte."""

    def __init__(self, head_first=False, frozen=False):
        super().__init__()
        if head_first:  # the tied tensor is then first reached as lm_head.weight
            self.lm_head = nn.Linear(DIM, VOCAB, bias=False)
        self.wte = nn.Embedding(VOCAB, DIM)
        self.wpe = nn.Embedding(CONTEXT, DIM)
        self.block = Block()
        self.ln_f = nn.LayerNorm(DIM)
        if not head_first:
            self.lm_head = nn.Linear(DIM, VOCAB, bias=False)
        self.lm_head.weight = self.wte.weight
        if frozen:
            self.block.proj.bias.requires_grad_(False)


MATRICES = ["wte.weight", "wpe.weight", "block.attn.weight", "block.proj.weight"]
VECTORS = [
    "block.ln.weight",
    "block.ln.bias",
    "block.attn.bias",
    "block.proj.bias",
    "ln_f.weight",
    "ln_f.bias",
]
EXPECTED = {  # rule → names of the decayed tensors
    "nanogpt": MATRICES,
    "mingpt": ["block.attn.weight", "block.proj.weight"],
    "olmo2": [
        "block.ln.weight",
        "block.ln.bias",
        "block.attn.weight",
        "block.attn.bias",
        "block.proj.weight",
        "block.proj.bias",
        "ln_f.weight",
        "ln_f.bias",
    ],
    "all": None,  # every tensor
}
SIZES = {
    "wte.weight": VOCAB * DIM,
    "wpe.weight": CONTEXT * DIM,
    "block.attn.weight": 3 * DIM * DIM,
    "block.proj.weight": 3 * DIM * DIM,
    "block.attn.bias": 3 * DIM,
    "block.proj.bias": DIM,
    "block.ln.weight": DIM,
    "block.ln.bias": DIM,
    "ln_f.weight": DIM,
    "ln_f.bias": DIM,
}


def names_in_model_order(model):
    return [n for n, p in model.named_parameters() if p.requires_grad]


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_decays_what_it_says(rule):
    model = MiniGPT()
    decay, no_decay = param_groups(model, weight_decay=0.1, rule=rule)
    expected = EXPECTED[rule] or names_in_model_order(model)
    assert decay["name"] == "decay" and no_decay["name"] == "no_decay"
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert decay["param_names"] == [n for n in names_in_model_order(model) if n in expected]
    assert no_decay["param_names"] == [n for n in names_in_model_order(model) if n not in expected]
    named = dict(model.named_parameters())
    for group in (decay, no_decay):  # names and tensors line up, in the model's order
        assert all(
            p is named[n] for n, p in zip(group["param_names"], group["params"], strict=True)
        )


@pytest.mark.parametrize("rule", RULES)
def test_describe_counts_tensors_and_parameters_once(rule):
    rows = describe_param_groups(MiniGPT(), rule)
    decayed = EXPECTED[rule] or list(SIZES)
    assert [r.group for r in rows] == ["decay", "no_decay"]
    assert rows[0].tensors == len(decayed) and rows[0].names == [
        n for n in names_in_model_order(MiniGPT()) if n in decayed
    ]
    assert rows[0].parameters == sum(SIZES[n] for n in decayed)
    assert rows[0].tensors + rows[1].tensors == 10  # lm_head.weight is wte.weight: once
    assert rows[0].parameters + rows[1].parameters == sum(SIZES.values())
    group, names, tensors, parameters = rows[1]  # plain tuples for a table
    assert group == "no_decay" and tensors == len(names)


def test_tied_head_counts_as_the_embedding_whichever_name_comes_first():
    model = MiniGPT(head_first=True)
    for rule in ("mingpt", "olmo2"):
        decay, no_decay = param_groups(model, 0.1, rule)
        assert "lm_head.weight" in no_decay["param_names"]
        assert all(p is not model.wte.weight for p in decay["params"])
    decay, _ = param_groups(model, 0.1, "nanogpt")
    assert decay["param_names"][0] == "lm_head.weight" and "wte.weight" not in decay["param_names"]


def test_frozen_parameters_are_left_out():
    model = MiniGPT(frozen=True)
    for rule in RULES:
        groups = param_groups(model, 0.1, rule)
        names = [n for g in groups for n in g["param_names"]]
        assert "block.proj.bias" not in names and len(names) == 9


def test_order_is_identical_across_constructions():
    def layout():
        torch.manual_seed(0)
        return [
            (g["name"], g["param_names"], [tuple(p.shape) for p in g["params"]])
            for g in param_groups(MiniGPT(), 0.1)
        ]

    assert layout() == layout()


@pytest.mark.parametrize(
    "make",
    [
        lambda g: torch.optim.AdamW(g, lr=1e-3, foreach=False),
        lambda g: torch.optim.AdamW(g, lr=1e-3, foreach=True),
        lambda g: torch.optim.AdamW(g, lr=1e-3, fused=True),
        lambda g: torch.optim.SGD(g, lr=1e-2, momentum=0.9),
        lambda g: optim.AdamW(g, lr=1e-3),
        lambda g: optim.SGD(g, lr=1e-2, decoupled=True),
    ],
    ids=["adamw", "adamw-foreach", "adamw-fused", "sgd", "ours-adamw", "ours-sgdw"],
)
def test_groups_work_in_any_optimizer_and_survive_state_dict(make):
    model = MiniGPT()
    opt = make(param_groups(model, 0.1, "all"))  # "all": the no_decay group is empty
    for _ in range(2):
        opt.zero_grad()
        model.lm_head(model.wte(torch.tensor([1, 2]))).sum().backward()
        opt.step()
    saved = opt.state_dict()
    assert saved["param_groups"][0]["param_names"][0] == "wte.weight"
    fresh = make(param_groups(model, 0.1, "all"))
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["name"] == "decay"
    # every parameter gets its own saved moments back
    stepped = [p for p in model.parameters() if opt.state[p]]  # those that had gradients
    assert stepped or isinstance(opt, optim.SGD)  # plain SGD keeps no state
    for param in stepped:
        moments = opt.state[param]
        assert fresh.state[param].keys() == moments.keys()
        for key, value in moments.items():
            assert torch.equal(torch.as_tensor(fresh.state[param][key]), torch.as_tensor(value))


def test_a_bare_parameter_follows_each_rule():
    model = nn.Module()
    model.pos = nn.Parameter(torch.zeros(1, CONTEXT, DIM))  # minGPT-style positional embedding
    decided = {rule: param_groups(model, 0.1, rule)[0]["param_names"] for rule in RULES}
    assert decided == {"nanogpt": ["pos"], "mingpt": [], "olmo2": ["pos"], "all": ["pos"]}


def test_unknown_rule_and_negative_decay_are_errors():
    with pytest.raises(ValueError, match="rule must be one of 'nanogpt', 'mingpt', 'olmo2', 'all'"):
        param_groups(MiniGPT(), 0.1, rule="llama")
    with pytest.raises(ValueError, match="rule must be one of"):
        describe_param_groups(MiniGPT(), rule="NanoGPT")
    with pytest.raises(ValueError, match="weight_decay must be a finite number ≥ 0"):
        param_groups(MiniGPT(), -0.1)
