import math

import pytest
import torch
import torch.nn as nn

from helpers.model import GPT, GPTConfig, flops_per_token

CONFIG = GPTConfig(vocab_size=50, block_size=16, n_layer=2, n_head=4, n_embd=32)


@pytest.fixture
def model():
    torch.manual_seed(0)
    return GPT(CONFIG)


def test_forward_shapes_with_and_without_targets(model):
    idx = torch.randint(0, 50, (3, 16))
    logits, loss = model(idx)
    assert logits.shape == (3, 16, 50) and loss is None
    logits, loss = model(idx[:, :5], idx[:, 1:6])
    assert logits.shape == (3, 5, 50) and loss.shape == ()


def test_embedding_and_head_are_one_tensor_counted_once(model):
    assert model.lm_head.weight is model.transformer.wte.weight
    names = [name for name, _ in model.named_parameters()]
    assert "transformer.wte.weight" in names and "lm_head.weight" not in names
    # 2 layers · (12·32² matmul weights + 13·32 biases and gains) + tok, pos embeddings + ln_f
    expected = 2 * (12 * 32**2 + 13 * 32) + 50 * 32 + 16 * 32 + 2 * 32
    assert model.num_params() == expected
    # one gradient reaches the tensor from both of its uses
    idx = torch.randint(0, 50, (2, 8))
    model(idx, idx)[1].backward()
    assert model.transformer.wte.weight.grad is model.lm_head.weight.grad


def test_loss_at_init_is_close_to_uniform_guessing():
    # N(0, 0.02) head weights make near-zero logits, so the loss starts at ≈ ln(vocab)
    torch.manual_seed(1)
    model = GPT(GPTConfig(vocab_size=103, block_size=64, n_layer=2, n_head=4, n_embd=64))
    idx = torch.randint(0, 103, (8, 64))
    loss = model(idx, torch.randint(0, 103, (8, 64)))[1].item()
    assert loss == pytest.approx(math.log(103), abs=0.05)


def test_gpt2_init_scales_residual_projections():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=100, block_size=64, n_layer=8, n_head=4, n_embd=128))
    params = dict(model.named_parameters())
    proj = params["transformer.h.3.mlp.c_proj.weight"].std().item()
    assert proj == pytest.approx(0.02 / math.sqrt(2 * 8), rel=0.05)
    assert params["transformer.h.3.mlp.c_fc.weight"].std().item() == pytest.approx(0.02, rel=0.05)
    assert params["transformer.wte.weight"].std().item() == pytest.approx(0.02, rel=0.05)
    assert params["transformer.h.3.attn.c_attn.bias"].abs().max().item() == 0
    assert params["transformer.h.3.ln_1.weight"].eq(1).all()


def test_attention_matches_an_explicit_causal_softmax(model):
    attn = model.transformer.h[0].attn
    x = torch.randn(2, 10, 32)
    q, k, v = attn.c_attn(x).split(32, dim=2)
    q, k, v = (t.view(2, 10, 4, 8).transpose(1, 2) for t in (q, k, v))
    scores = q @ k.transpose(-2, -1) / math.sqrt(8)
    scores = scores.masked_fill(torch.ones(10, 10).triu(1).bool(), float("-inf"))
    y = (scores.softmax(-1) @ v).transpose(1, 2).reshape(2, 10, 32)
    torch.testing.assert_close(attn(x), attn.c_proj(y))


def test_no_position_sees_the_future(model):
    idx = torch.randint(0, 50, (1, 12))
    changed = idx.clone()
    changed[0, 7] = (idx[0, 7] + 1) % 50
    a, b = model(idx)[0], model(changed)[0]
    torch.testing.assert_close(a[:, :7], b[:, :7])
    assert not torch.allclose(a[:, 7:], b[:, 7:])


def test_too_long_a_sequence_is_an_error(model):
    with pytest.raises(ValueError, match="block_size=16"):
        model(torch.zeros(1, 17, dtype=torch.long))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"n_layer": 0}, "n_layer"),
        ({"n_embd": 30}, "n_embd must be a multiple of n_head"),
        ({"dropout": 1.0}, "dropout"),
        ({"vocab_size": 2.5}, "vocab_size"),
    ],
)
def test_bad_config_names_the_field(kwargs, name):
    with pytest.raises(ValueError, match=name):
        GPTConfig(**{"vocab_size": 50, **kwargs})


def test_generate_is_seeded_and_restores_the_mode(model):
    prompt = torch.tensor([[1, 2, 3]])
    a = model.generate(prompt, 10, seed=5)
    assert a.shape == (1, 13) and a[0, :3].tolist() == [1, 2, 3] and model.training
    assert torch.equal(a, model.generate(prompt, 10, seed=5))
    assert not torch.equal(a, model.generate(prompt, 10, seed=6))
    # top_k=1 and temperature 0 both pick the most likely token
    greedy = model.generate(prompt, 10, temperature=0)
    assert torch.equal(greedy, model.generate(prompt, 10, top_k=1, seed=9))
    # longer than the context (16): the model sees the last block_size tokens
    assert model.generate(prompt, 15, seed=1).shape == (1, 18)


def test_top_k_limits_the_choice():
    torch.manual_seed(0)
    model = GPT(CONFIG)
    prompt = torch.tensor([[4]])
    logits = model(prompt)[0][0, -1]
    allowed = set(torch.topk(logits, 3).indices.tolist())
    firsts = {model.generate(prompt, 1, top_k=3, seed=s)[0, 1].item() for s in range(40)}
    assert firsts <= allowed and len(firsts) > 1


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"max_new_tokens": -1}, "max_new_tokens"),
        ({"temperature": -0.5}, "temperature"),
        ({"top_k": 0}, "top_k"),
        ({"temperature": float("nan")}, "temperature"),
    ],
)
def test_generate_rejects_bad_arguments(model, kwargs, name):
    args = {"max_new_tokens": 3, **kwargs}
    with pytest.raises(ValueError, match=name):
        model.generate(torch.tensor([[1]]), **args)


def test_flops_per_token_counts_every_matmul_weight_once(model):
    # the weights of every nn.Linear (the head is the tied embedding, listed once)
    linear = {id(m.weight): m.weight.numel() for m in model.modules() if isinstance(m, nn.Linear)}
    attention = 12 * CONFIG.n_layer * CONFIG.block_size * CONFIG.n_embd
    assert flops_per_token(CONFIG) == 6 * sum(linear.values()) + attention


def reference_forward(model: GPT, idx: torch.Tensor) -> torch.Tensor:
    """The GPT written out: pre-LayerNorm blocks, attention that sees positions ≤ t only."""
    c, T = model.config, idx.size(1)
    heads, size = c.n_head, c.n_embd // c.n_head
    wte, wpe = model.transformer.wte.weight, model.transformer.wpe.weight
    x = wte[idx] + wpe[:T]
    future = torch.arange(T)[None, :] > torch.arange(T)[:, None]  # key j after query i
    for block in model.transformer.h:
        # x + attn(ln_1(x)): the norm comes first, the residual stream is never normalised
        h = block.ln_1(x)
        q, k, v = (h @ block.attn.c_attn.weight.T + block.attn.c_attn.bias).split(c.n_embd, -1)
        q, k, v = (t.view(*t.shape[:2], heads, size).transpose(1, 2) for t in (q, k, v))
        scores = (q @ k.transpose(-1, -2) / math.sqrt(size)).masked_fill(future, -math.inf)
        y = (scores.softmax(-1) @ v).transpose(1, 2).reshape(x.shape)
        x = x + block.attn.c_proj(y)
        # x + mlp(ln_2(x))
        h = block.ln_2(x)
        x = x + block.mlp.c_proj(torch.nn.functional.gelu(block.mlp.c_fc(h)))
    return model.transformer.ln_f(x) @ wte.T  # the head is the token embedding


def test_the_model_is_the_pre_layernorm_gpt_written_out():
    torch.manual_seed(3)
    model = GPT(CONFIG).eval()
    with torch.no_grad():  # random gains and biases, so that every term counts
        for name, p in model.named_parameters():
            if "ln_" in name or name.endswith("bias"):
                p.normal_(0.5 if name.endswith("weight") else 0.0, 0.3)
    idx = torch.randint(0, 50, (2, 16))
    torch.testing.assert_close(model(idx)[0], reference_forward(model, idx), rtol=1e-5, atol=1e-5)


def test_dropout_acts_in_training_only_attention_included():
    torch.manual_seed(0)
    config = GPTConfig(vocab_size=50, block_size=16, n_layer=2, n_head=4, n_embd=32, dropout=0.5)
    model, twin = GPT(config), GPT(GPTConfig(**{**vars(config), "dropout": 0.0}))
    twin.load_state_dict(model.state_dict())
    idx = torch.randint(0, 50, (2, 16))
    model.eval()
    # in eval mode: deterministic and the model without dropout
    torch.manual_seed(1)
    first = model(idx)[0]
    torch.manual_seed(2)
    torch.testing.assert_close(first, model(idx)[0], rtol=0, atol=0)
    torch.testing.assert_close(first, twin(idx)[0])
    # generation is eval mode too, whatever the mode before
    model.train()
    prompt = idx[:1, :3]
    assert torch.equal(
        model.generate(prompt, 8, temperature=0), twin.generate(prompt, 8, temperature=0)
    )
    assert model.training
    # while training, dropout changes the output
    assert not torch.allclose(model(idx)[0], first)
