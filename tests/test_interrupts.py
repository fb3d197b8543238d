"""Ctrl-C at any instant: the training loops return a consistent history and the last weights.

The notebook's stop button is a real SIGINT, which Python turns into ``KeyboardInterrupt`` at
whatever line is running: in the first step, in the middle of an evaluation, while a row of the
history is being added. These tests deliver real SIGINTs there, on purpose and at random times,
and check what ``train()`` and ``train_grokking()`` return.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import signal
import sys
import time
from dataclasses import replace

import pytest
import torch

from helpers import train as train_module
from helpers.ch5.grokking import GrokConfig, train_grokking
from helpers.model import GPT
from helpers.runtime import flushing_denormals, interrupts_gated, interrupts_held
from helpers.train import train
from tests.test_train import TINY as TRAIN_TINY

pytestmark = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX signals")


@pytest.fixture(autouse=True)
def python_handles_ctrl_c():
    """Python's own Ctrl-C handling, as in a terminal or a notebook. A process started in the
    background by a non-interactive shell (`cmd &`, as CI runners may do) inherits SIGINT
    ignored, and Python then installs no handler: these tests would see no KeyboardInterrupt."""
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    blocked = signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
    yield
    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    signal.signal(signal.SIGINT, handler)


# the unit tests' tiny GPT, evaluated often so that SIGINTs land inside evaluations too
TINY = replace(TRAIN_TINY, steps=16, eval_every=2, eval_batches=4)
TRACK = ["transformer.wte.weight"]


def digest(model) -> str:
    h = hashlib.sha256()
    for p in model.parameters():
        h.update(p.detach().numpy().tobytes())
    return h.hexdigest()


def sigint():
    os.kill(os.getpid(), signal.SIGINT)


class SigintLater:
    """One real SIGINT after ``delay`` seconds, sent only while ``function`` is running.

    ``began`` records whether the run had begun when it was sent: whether ``function`` had
    installed its Ctrl-C gate (helpers.runtime.interrupts_gated binds ``loop_may_stop``). A
    Ctrl-C before that raises KeyboardInterrupt as anywhere else: there is no run to lose yet.
    """

    def __init__(self, function, delay: float):
        self.code, self.delay, self.sent, self.began = function.__code__, delay, False, False

    def _alarm(self, _signum, frame):
        while frame is not None and frame.f_code is not self.code:
            frame = frame.f_back
        if frame is not None:
            self.sent, self.began = True, "loop_may_stop" in frame.f_locals
            sigint()

    def __enter__(self):
        self.previous = signal.signal(signal.SIGALRM, self._alarm)
        signal.setitimer(signal.ITIMER_REAL, self.delay)
        return self

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: tiny models run fastest so, and the trials' timing is steadier."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def reference(data):
    """The uninterrupted run: its weights after every step, and how long it takes (warm)."""
    weights = []
    train(TINY, data=data, track=TRACK, callback=lambda s, h: weights.append(digest(h.model)))
    start = time.perf_counter()
    history = train(TINY, data=data, track=TRACK)
    return history, weights[: TINY.steps + 1], time.perf_counter() - start


def assert_consistent(history, weights):
    """One entry per evaluation in every list; steps, speed and weights that agree."""
    n, steps = len(history.step), len(history.loss)
    lists = [history.train_loss, history.val_loss, history.lr, history.weight_norm]
    lists += [*history.group_norm.values(), *history.update_ratio.values()]
    lists += list(history.tensor_norm.values())
    assert all(len(values) == n for values in lists), [len(v) for v in lists]
    evaluated = [s for s in range(0, TINY.steps + 1, TINY.eval_every) if s <= steps]
    assert history.step == evaluated[:n] and n >= len(evaluated) - 1
    assert history.stopped in ("interrupted", "finished"), history.message
    assert history.stopped == "interrupted" or steps == TINY.steps
    if steps == 0:
        assert math.isnan(history.ms_per_step) and math.isnan(history.tokens_per_s)
    else:
        assert 0 < history.ms_per_step < 1000 * history.wall_s / steps
        tokens = 1000 * TINY.batch_size * TINY.block_size / history.ms_per_step
        assert history.tokens_per_s == pytest.approx(tokens, rel=1e-9)
    assert digest(history.model) == weights[steps]  # the weights after the last step taken
    json.dumps(history.to_dict(), allow_nan=False)


def test_sigint_in_the_first_step_keeps_an_empty_but_consistent_history(
    data, reference, monkeypatch, capsys
):
    # the first gradient clip sends a real SIGINT: step 1 has its loss but is not taken
    def clip_and_interrupt(params, max_norm):
        sigint()
        time.sleep(0.01)

    monkeypatch.setattr(train_module.torch.nn.utils, "clip_grad_norm_", clip_and_interrupt)
    history = train(TINY, data=data, track=TRACK, grad_clip=1.0)
    assert history.stopped == "interrupted" and history.loss == [] and history.step == [0]
    assert "interrupted after 0 steps" in capsys.readouterr().out
    assert_consistent(history, reference[1])


def test_ctrl_c_inside_no_grad_leaves_gradients_on(data, monkeypatch):
    # the race a random SIGINT can hit: inside torch.no_grad(), after it switched gradients
    # off and before its exit switched them back on
    import helpers.ch5.grokking as grokking_module

    def interrupted_with_gradients_off(*args, **kwargs):
        torch.set_grad_enabled(False)
        raise KeyboardInterrupt

    monkeypatch.setattr(train_module.Run, "mean_loss", interrupted_with_gradients_off)
    history = train(TINY, data=data)
    assert history.stopped == "interrupted" and torch.is_grad_enabled()
    monkeypatch.setattr(grokking_module, "_evaluate", interrupted_with_gradients_off)
    result = train_grokking(GROK, num_threads=1)
    assert result.stopped == "interrupted" and torch.is_grad_enabled()


def test_sigint_during_an_evaluation_drops_the_unfinished_row(data, reference):
    def arm(step, history):
        if step == 7:  # SIGINT in the middle of step 8's evaluation, after its training loss
            calls = []

            def hook(module, args):
                if not module.training:
                    calls.append(1)
                    if len(calls) == TINY.eval_batches + 1:
                        sigint()

            history.model.register_forward_pre_hook(hook)

    history = train(TINY, data=data, track=TRACK, callback=arm)
    assert history.stopped == "interrupted" and len(history.loss) == 8
    assert history.step == [0, 2, 4, 6]  # no half row for step 8
    assert_consistent(history, reference[1])


def test_sigints_at_random_instants_always_leave_a_consistent_run(data, reference):
    _, weights, seconds = reference
    outcomes = {"interrupted": 0, "finished": 0, "before the run began": 0}
    rng = random.Random(0)
    for _ in range(30):
        history = None
        with SigintLater(train, rng.uniform(0, 1.1 * seconds)) as later:
            try:
                history = train(TINY, data=data, track=TRACK)
            except KeyboardInterrupt:  # acceptable before the run began, or after it returned
                assert history is not None or not later.began, "train() lost its run"
        if history is None:
            outcomes["before the run began"] += 1
            continue
        assert_consistent(history, weights)
        outcomes[history.stopped] += 1
    assert outcomes["interrupted"] >= 10, outcomes


def test_interrupts_held_delivers_one_sigint_after_the_block():
    with pytest.raises(KeyboardInterrupt):
        with interrupts_held() as held:
            sigint()
            time.sleep(0.01)
            assert held == [signal.SIGINT]  # still inside: held, not raised
    with interrupts_held(deliver=False) as held:
        sigint()
        time.sleep(0.01)
    assert held == [signal.SIGINT]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_gate_holds_ctrl_c_outside_the_loop_and_delivers_it_as_the_loop_starts():
    with interrupts_gated() as loop_may_stop:
        sigint()  # during the setup: held
        time.sleep(0.01)
        with pytest.raises(KeyboardInterrupt):
            with loop_may_stop():  # delivered as the loop starts
                time.sleep(1)
                raise AssertionError("the held Ctrl-C was not delivered")
        sigint()  # during the wrap-up: held, then dropped
        time.sleep(0.01)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigint_during_the_setup_stops_the_run_before_its_first_step(data, reference, monkeypatch):
    build = train_module.Run.__init__

    def build_then_interrupt(self, *args, **kwargs):
        build(self, *args, **kwargs)
        sigint()
        time.sleep(0.01)

    monkeypatch.setattr(train_module.Run, "__init__", build_then_interrupt)
    history = train(TINY, data=data, track=TRACK)
    assert history.stopped == "interrupted" and history.loss == [] and history.step == []
    assert_consistent(history, reference[1])


def test_sigint_while_train_restores_autograd_does_not_lose_the_run(data, monkeypatch):
    # the race the random test once hit: a Ctrl-C after the loop, while the settings of the
    # caller are put back; it is dropped, and the finished run comes back
    restore = torch.set_grad_enabled

    def restore_then_interrupt(mode):
        switched = restore(mode)
        if sys._getframe(1).f_code.co_name == "grad_mode_kept":
            sigint()
            time.sleep(0.01)
        return switched

    monkeypatch.setattr(torch, "set_grad_enabled", restore_then_interrupt)
    history = train(TINY, data=data)
    assert history.stopped == "finished" and len(history.loss) == TINY.steps
    result = train_grokking(GROK, num_threads=1)
    assert result.stopped in ("max_steps", "grokked") and result.history["step"][-1] == 60


GROK = GrokConfig(p=13, d_model=16, n_heads=2, d_mlp=32, max_steps=60, eval_every=3)


def grok_consistent(result):
    lengths = {key: len(values) for key, values in result.history.items()}
    assert len(set(lengths.values())) == 1, lengths
    steps = result.history["step"]
    assert steps == list(range(0, 3 * len(steps), 3))[: len(steps)]
    assert result.stopped in ("interrupted", "max_steps", "grokked"), result.stopped


@pytest.mark.parametrize("flushing", [False, True])
def test_grokking_survives_random_sigints_and_restores_the_cpu_settings(flushing):
    start = time.perf_counter()
    grok_consistent(train_grokking(GROK, num_threads=1))
    seconds = time.perf_counter() - start
    rng, interrupted = random.Random(1), 0
    threads = torch.get_num_threads()
    torch.set_flush_denormal(flushing)
    try:
        for _ in range(12):
            result = None
            with SigintLater(train_grokking, rng.uniform(0, 1.1 * seconds)) as later:
                try:
                    result = train_grokking(GROK, num_threads=1)
                except KeyboardInterrupt:  # acceptable before the run began
                    assert result is not None or not later.began, "train_grokking() lost its run"
            assert torch.get_num_threads() == threads
            if result is None:
                continue
            grok_consistent(result)
            assert torch.is_grad_enabled()
            interrupted += result.stopped == "interrupted"
            assert flushing_denormals() == flushing and torch.get_num_threads() == threads
    finally:
        torch.set_flush_denormal(False)
    assert interrupted >= 4


def test_a_diverged_run_keeps_the_last_weights_that_gave_a_finite_loss(data, capsys):
    # lr·λ = 3: each step multiplies θ by 1 − 3 = −2, so the weights overflow within ~100 steps
    diverging = replace(TINY, lr=1.0, weight_decay=3.0, steps=300, eval_every=100)
    history = train(diverging, data=data)
    assert history.stopped == "diverged" and not math.isfinite(history.loss[-1])
    taken = len(history.loss) - 1
    assert 10 < taken < 300
    assert f"before step {taken}, the last that gave a finite loss" in history.message
    assert history.message in capsys.readouterr().out
    # the same run stopped by its callback after step taken − 1: the weights the model keeps
    again = train(diverging, data=data, callback=lambda step, h: step == taken - 1)
    assert digest(history.model) == digest(again.model)
    assert all(torch.isfinite(p).all() for p in history.model.parameters())
    # and they can be sampled from
    history.model.generate(torch.zeros(1, 1, dtype=torch.long), 5, seed=0)


def test_sampling_from_diverged_weights_is_refused():
    gpt = GPT(TINY.gpt_config(vocab_size=11))
    with torch.no_grad():
        gpt.transformer.wte.weight.fill_(math.inf)
    with pytest.raises(ValueError, match="logits are NaN or infinite: its weights have diverged"):
        gpt.generate(torch.zeros(1, 1, dtype=torch.long), 3)


def test_a_sweep_point_cut_short_by_ctrl_c_stops_the_sweep(monkeypatch):
    from helpers.ch3 import rules_sweep
    from helpers.ch4 import sweep

    def interrupted_run(*args, **kwargs):
        history = train(TINY, data=kwargs.get("data"), steps=2, callback=stop)
        history.stopped = "interrupted"  # as if Ctrl-C had come
        return history

    def stop(step, history):
        return step == 1

    for module in (rules_sweep, sweep):
        monkeypatch.setattr(module, "train", interrupted_run)
    with pytest.raises(KeyboardInterrupt, match="was interrupted"):
        rules_sweep.run_point("nanogpt", 0.1, 0)
    with pytest.raises(KeyboardInterrupt, match="was interrupted"):
        sweep.run_point("nanogpt", 0.1, 0)
