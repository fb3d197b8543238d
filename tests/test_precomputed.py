import pytest

from helpers import precomputed


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """Redirect writes and reads to a temporary package data folder."""
    monkeypatch.setattr(precomputed, "DATA_DIR", tmp_path)
    monkeypatch.setattr(precomputed, "data_files", lambda: tmp_path)
    return tmp_path


def test_hash_ignores_key_order_but_not_values():
    assert precomputed.config_hash({"a": 1, "b": 2}) == precomputed.config_hash({"b": 2, "a": 1})
    assert precomputed.config_hash({"a": 1}) != precomputed.config_hash({"a": 2})


def test_round_trip_records_how_it_was_made(data_dir):
    config = {"lambdas": [0, 0.1], "steps": 10}
    path = precomputed.save_results("demo", config, {"loss": [1.5, 1.2]}, "python make.py")
    assert path.parent == data_dir
    record = precomputed.load_results("demo", config)
    assert record["results"] == {"loss": [1.5, 1.2]}
    assert record["command"] == "python make.py" and record["torch_threads"] >= 1


def test_stale_configuration_is_an_error_naming_the_command(data_dir):
    precomputed.save_results("demo", {"steps": 10}, {}, "python make.py")
    with pytest.raises(ValueError, match="regenerate it with: python make.py"):
        precomputed.load_results("demo", {"steps": 11})
    with pytest.raises(FileNotFoundError, match="missing"):
        precomputed.load_results("missing")
