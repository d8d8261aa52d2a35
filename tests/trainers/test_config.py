"""TrainConfig: defaults by student kind, validation messages, resume comparison."""

from __future__ import annotations

import pytest

from evalsuite.errors import UsageError
from trainers.config import (
    PRETRAINED_DEFAULTS,
    TINY_DEFAULTS,
    TrainConfig,
    config_differences,
    make_config,
)


def test_tiny_and_pretrained_defaults(tmp_path):
    tiny = make_config(recipe="dss", task="arith", out="x")
    assert (tiny.lr, tiny.batch_size, tiny.max_steps) == (
        TINY_DEFAULTS["lr"], TINY_DEFAULTS["batch_size"], TINY_DEFAULTS["max_steps"]
    )  # fmt: skip
    pretrained = make_config(recipe="dss", task="arith", out="x", model=str(tmp_path))
    assert pretrained.lr == 5e-5 == PRETRAINED_DEFAULTS["lr"]  # the DSS release's
    assert pretrained.batch_size == 64 and pretrained.max_steps == 10000
    assert make_config(recipe="dss", task="arith", out="x", lr=0.01, max_steps=None).lr == 0.01


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"recipe": "nope"}, "unknown recipe 'nope'; choose from standard, single, dss, mi"),
        ({"task": "nope"}, "unknown task 'nope'; choose from"),
        ({"alpha": 1.5}, r"--alpha must be a number in \[0.0, 1.0\], got 1.5"),
        ({"beta": -0.1}, r"--beta must be a number in \[0.0, inf\), got -0.1"),
        ({"lr": 0.0}, r"--lr must be a number in \(0.0, inf\), got 0.0"),
        ({"lr": float("nan")}, "--lr must be a number"),
        ({"train_fraction": 0.0}, r"--train-fraction must be a number in \(0.0, 1.0\]"),
        ({"max_steps": 0}, "--max-steps must be an integer >= 1, got 0"),
        ({"batch_size": 2.5}, "--batch-size must be an integer >= 1, got 2.5"),
        ({"warmup_steps": -1}, "--warmup-steps must be an integer >= 0, got -1"),
        ({"label_source": "llm"}, "--label-source 'llm': choose from gold, teacher"),
        ({"mi_variant": "club"}, "--mi-variant 'club': choose from released, infonce"),
        ({"model": "/no/such/t5"}, "--model /no/such/t5: not a local checkpoint directory"),
        ({"colour": "red"}, "unknown training option"),
    ],
)
def test_invalid_options_name_the_option_and_value(options, message):
    base = {"recipe": "dss", "task": "arith", "out": "x"}
    with pytest.raises(UsageError, match=message):
        make_config(**{**base, **options})


def test_config_is_frozen():
    config = make_config(recipe="dss", task="arith", out="x")
    with pytest.raises(AttributeError):
        config.lr = 1.0  # type: ignore[misc]


def test_config_differences_ignore_out_and_name_changed_fields():
    saved = make_config(recipe="dss", task="arith", out="a").to_dict()
    assert config_differences(saved, make_config(recipe="dss", task="arith", out="b")) == []
    changed = make_config(recipe="dss", task="arith", out="a", alpha=0.3)
    assert config_differences(saved, changed) == ["alpha: 0.5 -> 0.3"]


def test_to_dict_round_trips_nested_configs():
    config = make_config(recipe="mi", task="arith", out="x")
    data = config.to_dict()
    assert data["tiny"]["d_model"] == config.tiny.d_model
    assert data["arith"]["n_train"] == config.arith.n_train
    assert isinstance(config, TrainConfig)
