import json
import math
import re
from dataclasses import replace

import pytest
import torch

from helpers import optim
from helpers.data import char_data
from helpers.model import GPT
from helpers.schedules import lr_multiplier
from helpers.train import Run, train
from helpers.train_config import CPU_PRESET, GPU_PRESET, TrainConfig

# A model small enough that a 30-step run takes a fraction of a second.
TINY = TrainConfig(
    n_layer=1,
    n_head=2,
    n_embd=32,
    block_size=16,
    batch_size=8,
    steps=30,
    eval_every=10,
    eval_batches=2,
    train_chars=2000,
    lr=1e-2,
    weight_decay=0.1,
    device="cpu",
)


@pytest.fixture(scope="module")
def run(data):
    return train(TINY, data=data, track=["transformer.wte.weight", "*.ln_1.weight"])


def test_a_short_run_lowers_the_loss(run):
    assert run.stopped == "finished" and run.message.startswith("finished 30 steps")
    assert run.step == [0, 10, 20, 30]
    assert run.train_loss[0] == pytest.approx(math.log(run.environment["vocab_size"]), abs=0.1)
    assert run.train_loss[-1] < run.train_loss[0] - 1.0
    assert run.val_loss[-1] < run.val_loss[0] - 0.5
    assert len(run.loss) == 30 and run.tokens_per_s > 0 and run.wall_s > 0


def test_history_lists_line_up_and_hold_what_was_asked(run):
    n = len(run.step)
    assert len(run.train_loss) == len(run.val_loss) == len(run.lr) == len(run.weight_norm) == n
    assert set(run.group_norm) == set(run.update_ratio) == {"decay", "no_decay"}
    assert set(run.tensor_norm) == {"transformer.wte.weight", "transformer.h.0.ln_1.weight"}
    for values in [*run.group_norm.values(), *run.tensor_norm.values()]:
        assert len(values) == n and all(v > 0 for v in values)
    # the groups' norms add up (in squares) to the norm of all parameters
    squares = sum(v[-1] ** 2 for v in run.group_norm.values())
    assert math.sqrt(squares) == pytest.approx(run.weight_norm[-1], rel=1e-5)
    # no update before step 0; afterwards a small positive fraction
    assert math.isnan(run.update_ratio["decay"][0])
    assert all(0 < r < 0.5 for r in run.update_ratio["decay"][1:])
    # a LayerNorm gain starts at ‖1‖ = √n_embd
    assert run.tensor_norm["transformer.h.0.ln_1.weight"][0] == pytest.approx(math.sqrt(32))
    assert isinstance(run.model, GPT) and run.settings["weight_decay"] == 0.1
    assert run.environment["data_source"].startswith("pydoc_data.topics")
    json.dumps(run.to_dict())


def test_same_seed_same_numbers_other_seed_other_numbers(run, data):
    again = train(TINY, data=data, track=["transformer.wte.weight", "*.ln_1.weight"])
    assert again.loss == run.loss and again.val_loss == run.val_loss
    assert again.group_norm == run.group_norm and again.tensor_norm == run.tensor_norm
    other = train(TINY, data=data, seed=1)
    assert other.loss != run.loss


@pytest.mark.parametrize(
    "optimizer, decoupled, expected",
    [
        ("torch", True, torch.optim.AdamW),
        ("torch", False, torch.optim.Adam),
        ("book", True, optim.AdamW),
        ("book", False, optim.Adam),
    ],
)
def test_the_optimizer_setting_picks_the_implementation(data, optimizer, decoupled, expected):
    config = replace(TINY, optimizer=optimizer, decoupled=decoupled, weight_decay=0.5)
    built = Run(replace(config, rule="mingpt"), data, ()).optimizer
    assert type(built) is expected
    assert [g["weight_decay"] for g in built.param_groups] == [0.5, 0.0]
    if optimizer == "book":
        assert all(g["decoupled"] is decoupled for g in built.param_groups)
    else:
        assert built.defaults["fused"]


def test_the_books_optimizer_trains_like_pytorchs(run, data):
    book = train(TINY, data=data, optimizer="book")
    assert book.loss == pytest.approx(run.loss, rel=1e-4)


def test_decay_shrinks_the_decayed_group_only(data):
    short = dict(data=data, steps=20, eval_every=20)
    none, strong = train(TINY, weight_decay=0.0, **short), train(TINY, weight_decay=3.0, **short)
    assert strong.group_norm["decay"][-1] < 0.8 * none.group_norm["decay"][-1]
    assert strong.group_norm["no_decay"][-1] == pytest.approx(
        none.group_norm["no_decay"][-1], rel=0.1
    )
    coupled = train(TINY, weight_decay=3.0, decoupled=False, **short)
    assert coupled.loss != strong.loss


def test_a_diverging_run_stops_with_a_message_and_keeps_its_history(data, capsys):
    history = train(TINY, data=data, lr=1e8, weight_decay=0.0)
    assert history.stopped == "diverged" and not math.isfinite(history.loss[-1])
    assert "stopped at step" in history.message and "smaller lr" in history.message
    assert history.message in capsys.readouterr().out
    assert history.step == [0] and len(history.val_loss) == 1
    # the model keeps the last finite weights
    assert all(torch.isfinite(p).all() for p in history.model.parameters())


def test_an_interrupt_returns_the_history_so_far(data, capsys):
    def stop_button(step, history):
        if step == 12:
            raise KeyboardInterrupt

    history = train(TINY, data=data, callback=stop_button)
    assert history.stopped == "interrupted" and len(history.loss) == 12
    assert history.step == [0, 10] and "interrupted" in capsys.readouterr().out


def test_callback_sees_every_step_and_can_stop_the_run(data):
    seen = []

    def progress_bar(step, history):
        seen.append((step, len(history.loss)))
        return step == 15

    history = train(TINY, data=data, callback=progress_bar)
    assert seen == [(s, s) for s in range(16)]  # step 0 too, before any update
    assert history.stopped == "callback" and history.step == [0, 10]


def test_the_callback_at_step_0_sees_the_initial_weights(data):
    initial = {}

    def keep(step, history):
        if step == 0:
            initial.update((n, p.detach().clone()) for n, p in history.model.named_parameters())
        return step == 0

    history = train(TINY, data=data, callback=keep)
    assert history.stopped == "callback" and history.loss == [] and history.step == [0]
    torch.manual_seed(TINY.seed)  # train() seeds, then builds the model
    twin = GPT(TINY.gpt_config(data.vocab.size))
    for name, p in twin.named_parameters():
        assert torch.equal(initial[name], p)


def test_progress_prints_one_line_per_evaluation(data, capsys):
    train(TINY, data=data, steps=20, progress=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0].startswith("step     0/20") and "finished" in lines[-1]
    train(TINY, data=data, steps=5)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "setting, value, says",
    [
        ("lr", 0.0, "lr must be a finite number > 0"),
        ("lr", float("nan"), "lr must be a finite number > 0"),
        ("weight_decay", -0.1, "weight_decay must be a finite number ≥ 0"),
        ("betas", (0.9, 1.0), "betas[1] must be in [0, 1)"),
        ("dropout", 1.0, "dropout must be in [0, 1)"),
        ("steps", 0, "steps must be an integer ≥ 1"),
        ("train_chars", 16, "train_chars must be an integer ≥ 17"),
        ("rule", "everything", "rule must be one of 'nanogpt', 'mingpt', 'olmo2', 'all'"),
        ("optimizer", "sgd", "optimizer must be one of 'torch', 'book'"),
        ("schedule", "linear", "schedule must be one of"),
        ("n_head", 3, "n_embd must be a multiple of n_head"),
        ("device", "gpu", "device must be 'auto', 'cuda', 'cuda:N', 'mps' or 'cpu'"),
    ],
)
def test_bad_settings_raise_valueerror_naming_them(data, setting, value, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        train(TINY, data=data, **{setting: value})


def test_unknown_setting_and_unknown_tracked_name(data):
    with pytest.raises(TypeError, match="unknown setting.*'lamda'"):
        train(TINY, data=data, lamda=0.1)
    with pytest.raises(ValueError, match="track: 'wte' matches no parameter"):
        train(TINY, data=data, track=["wte"])
    with pytest.raises(ValueError, match=r"train_chars must be an integer in \[2, "):
        train(TINY, data=char_data("abc" * 30), train_chars=200)


def test_a_readers_own_text_trains_with_its_own_vocabulary():
    text = "the quick brown fox jumps over the lazy dog. " * 40
    history = train(TINY, data=char_data(text, source="fox"), train_chars=None, steps=10)
    assert history.environment["vocab_size"] == len(set(text))
    assert history.environment["data_source"] == "fox" and history.stopped == "finished"


def test_schedule_warms_up_then_follows_a_cosine_to_its_floor():
    config = TrainConfig(steps=101, warmup_steps=10, schedule="cosine", min_lr_ratio=0.1)
    s = [lr_multiplier(t, config) for t in range(101)]
    assert s[0] == pytest.approx(0.1) and s[9] == 1.0 and s[10] == 1.0
    assert s[-1] == pytest.approx(0.1) and s[55] == pytest.approx(0.55)
    assert all(a >= b for a, b in zip(s[10:], s[11:], strict=False))
    assert lr_multiplier(50, TrainConfig()) == 1.0


def test_presets_are_the_sizes_they_claim():
    cpu = GPT(CPU_PRESET.gpt_config(vocab_size=103))
    assert (CPU_PRESET.n_layer, CPU_PRESET.n_embd, CPU_PRESET.block_size) == (2, 64, 64)
    assert (CPU_PRESET.batch_size, CPU_PRESET.lr, CPU_PRESET.train_chars) == (32, 3e-3, 3000)
    assert 100_000 < cpu.num_params() < 120_000
    gpu = GPT(GPU_PRESET.gpt_config(vocab_size=103))
    assert 10.0e6 < gpu.num_params() < 11.0e6  # nanoGPT's baby GPT, ≈ 10.7 M
