import types

import pytest
import torch

from helpers import corpus
from helpers.data import CharData, Vocab, char_data, get_batch, load_text


@pytest.fixture(scope="module")
def docs() -> CharData:
    return char_data()


def test_the_default_text_is_the_frozen_corpus_on_every_python(docs):
    """Python 3.11.7's topic help, shipped with the package: the same on 3.10–3.13
    (tests/test_other_machine.py checks another interpreter)."""
    text = corpus.default_text()
    assert len(text) == 465_126 and text.startswith('The "assert" statement')
    assert corpus.fingerprint(text) == corpus.FINGERPRINT == docs.fingerprint
    assert docs.source == corpus.SOURCE and "3.11.7" in docs.source
    assert len(docs.train) + len(docs.val) == len(text)
    assert docs.vocab.decode(torch.cat([docs.train, docs.val])) == text


@pytest.mark.parametrize(
    "content, fault",
    [(None, "missing"), (b"\xff\xfe", "not UTF-8"), (b"other text", "not the shipped corpus")],
)
def test_a_damaged_corpus_is_an_error_naming_the_file(tmp_path, monkeypatch, content, fault):
    data = tmp_path / "data"
    data.mkdir()
    if content is not None:
        (data / corpus.FILE).write_bytes(content)
    monkeypatch.setattr(corpus, "resources", types.SimpleNamespace(files=lambda _: tmp_path))
    with pytest.raises(RuntimeError, match=fault) as error:
        corpus.default_text()
    assert "python_topics.txt" in str(error.value)


def test_vocab_is_the_sorted_set_of_characters(docs):
    chars = docs.vocab.chars
    assert list(chars) == sorted(set(chars)) and docs.vocab.size == len(chars)
    assert Vocab.from_text("banana") == Vocab("abn")


def test_split_is_deterministic_and_validation_is_the_end():
    text = "".join(chr(97 + i % 26) for i in range(1000))
    data = char_data(text, val_fraction=0.2, source="letters")
    assert (len(data.train), len(data.val)) == (800, 200)
    assert data.vocab.decode(data.val) == text[800:]
    again = char_data(text, val_fraction=0.2)
    assert torch.equal(again.train, data.train) and again.fingerprint == data.fingerprint
    assert char_data(text + "x").fingerprint != data.fingerprint


def test_small_data_keeps_the_first_characters(docs):
    small = docs.with_train_chars(3000)
    assert torch.equal(small.train, docs.train[:3000]) and small.val is docs.val
    assert docs.with_train_chars(None) is docs
    with pytest.raises(ValueError, match="train_chars must be an integer in \\[2, "):
        docs.with_train_chars(len(docs.train) + 1)


def test_unknown_characters_are_named_or_replaced_as_asked():
    vocab = Vocab.from_text("hello world")
    with pytest.raises(ValueError, match=r"'!é'.*unknown="):
        vocab.encode("héllo!")
    assert vocab.decode(vocab.encode("héllo!", unknown=" ")) == "h llo "
    assert vocab.decode(vocab.encode("héllo!", unknown="")) == "hllo"
    with pytest.raises(ValueError, match="unknown must be"):
        vocab.encode("é", unknown="?")


def test_load_text_normalises_newlines_and_explains_bad_encodings(tmp_path):
    path = tmp_path / "reader.txt"
    path.write_bytes(b"one\r\ntwo\n")
    assert load_text(path) == "one\ntwo\n"
    path.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ValueError, match="not utf-8 text"):
        load_text(path)
    assert load_text(path, encoding="latin-1") == "café"


def test_batches_are_shifted_windows_and_repeat_with_the_seed(docs):
    ids = docs.train[:500]
    x, y = get_batch(ids, 6, 32, torch.Generator().manual_seed(3))
    assert x.shape == y.shape == (6, 32) and x.dtype == torch.long
    assert torch.equal(x[:, 1:], y[:, :-1])
    text = docs.vocab.decode(ids)
    for row_x, row_y in zip(x, y, strict=True):
        start = text.index(docs.vocab.decode(row_x))
        assert text[start + 1 : start + 33] == docs.vocab.decode(row_y)
    x2, _ = get_batch(ids, 6, 32, torch.Generator().manual_seed(3))
    assert torch.equal(x, x2)


def test_a_part_shorter_than_a_block_is_an_error(docs):
    with pytest.raises(ValueError, match="block_size=64 needs at least 65"):
        get_batch(docs.train[:64], 2, 64, torch.Generator())


@pytest.mark.parametrize("fraction", [0, 1, -0.1])
def test_bad_val_fraction(fraction):
    with pytest.raises(ValueError, match="val_fraction"):
        char_data("abcdefgh", val_fraction=fraction)
