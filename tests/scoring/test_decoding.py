"""Decoding settings: modes, generate() arguments and every validation message."""

from __future__ import annotations

import pytest

from evalsuite.errors import UsageError
from evalsuite.scoring.decoding import DecodingConfig


def test_modes_and_generate_kwargs():
    assert DecodingConfig().generate_kwargs(max_new_tokens=7) == {
        "max_new_tokens": 7,
        "do_sample": False,
        "num_beams": 1,
    }
    beam = DecodingConfig(num_beams=3)
    assert beam.mode == "beam" and beam.generate_kwargs(max_new_tokens=5)["num_beams"] == 3
    sample = DecodingConfig(num_samples=4, temperature=0.7, seed=9)
    kwargs = sample.generate_kwargs(max_new_tokens=5)
    assert sample.mode == "sample"
    assert kwargs["do_sample"] and kwargs["num_return_sequences"] == 4
    assert kwargs["temperature"] == 0.7
    assert sample.to_dict()["mode"] == "sample" and sample.to_dict()["seed"] == 9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_beams": 0}, r"--num-beams must be >= 1, got 0"),
        ({"num_samples": 0}, r"--num-samples must be >= 1, got 0"),
        ({"num_beams": 2, "num_samples": 2}, r"--num-beams and --num-samples cannot be combined"),
        ({"temperature": 0.0}, r"--temperature must be a positive number, got 0.0"),
        ({"top_p": 1.5}, r"--top-p must be in \(0, 1\], got 1.5"),
        ({"max_new_tokens": 0}, r"--max-new-tokens must be >= 1, got 0"),
    ],
)
def test_validation_messages(kwargs, message):
    with pytest.raises(UsageError, match=message):
        DecodingConfig(**kwargs)
