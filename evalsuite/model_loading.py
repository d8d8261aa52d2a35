"""Loading a Hugging Face model from local safetensors: quietly, completely, with one-line errors.

Every load of student weights (a checkpoint to score, a ``--model`` to fine-tune, a training
state to resume) goes through :func:`load_pretrained`, so all three refuse pickled weights, never
run remote code, keep transformers' load report and progress bars off the terminal, and turn
any failure, including weights that do not fit the config (transformers would initialise the
missing ones at random and only log it), into one line naming the directory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evalsuite.errors import DataError

__all__ = [
    "RESUME_STATE",
    "has_safetensors",
    "is_encoder_decoder",
    "load_pretrained",
    "load_student_model",
    "quiet_transformers",
]

RESUME_STATE = "resume state"
"""``what`` of a training state's weights: no ``evalsuite convert`` hint (training writes it)."""


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """No progress bars and no log below errors from transformers inside the block.

    The callers show their own progress, and a load problem becomes one line of ours rather
    than transformers' multi-line load report.
    """
    from transformers.utils import logging

    was_enabled = logging.is_progress_bar_enabled()
    verbosity = logging.get_verbosity()
    logging.disable_progress_bar()
    logging.set_verbosity_error()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if was_enabled:
            logging.enable_progress_bar()


def has_safetensors(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds safetensors weights (one file, or shards with their index)."""
    return any(Path(path).glob("*.safetensors"))


def _first_line(err: BaseException) -> str:
    text = str(err)
    if "ignore_mismatched_sizes" in text:
        return "config.json does not match the weights: some tensor shapes differ"
    return (text.strip().splitlines() or [type(err).__name__])[0]


def load_pretrained(
    model_class: Any, path: str | os.PathLike[str], *, what: str, **options: Any
) -> Any:
    """``model_class.from_pretrained(path)`` from local safetensors only, checked to be complete.

    Parameters
    ----------
    model_class : transformers model class
        E.g. ``T5ForConditionalGeneration`` or ``AutoModelForSeq2SeqLM``.
    path : path
        A local directory written by ``save_pretrained``.
    what : str
        What ``path`` is, the start of every error: "checkpoint", "--model",
        :data:`RESUME_STATE`. Pickled weights of all but the last are refused with the
        ``evalsuite convert`` command that converts them.
    **options
        Passed on (``dtype``).

    Raises
    ------
    DataError
        One line naming ``path``: no safetensors weights (pickled ``.bin`` files are refused,
        even when present), weights transformers cannot read, or weights that do not match
        config.json (missing, unexpected or of another shape).
    """
    from safetensors import SafetensorError

    if not has_safetensors(path):
        hint = ""
        # A model folder's pickled weights convert; a resume state is rewritten by training.
        if what != RESUME_STATE and any(Path(path).glob("pytorch_model*.bin")):
            from evalsuite.checkpoint import convert_command

            hint = f"; convert them first: {convert_command(Path(path))}"
        raise DataError(
            f"{what} {path}: no safetensors weights (pickled .bin weights are refused){hint}"
        )
    try:
        with quiet_transformers():
            model, info = model_class.from_pretrained(
                path,
                local_files_only=True,
                use_safetensors=True,
                trust_remote_code=False,
                output_loading_info=True,
                **options,
            )
    except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as err:
        raise DataError(f"{what} {path}: cannot load the model ({_first_line(err)})") from None
    for kind in ("missing_keys", "unexpected_keys", "mismatched_keys"):
        keys = sorted(str(k) for k in info.get(kind) or ())
        if keys:
            raise DataError(
                f"{what} {path}: config.json does not match the weights ({len(keys)} "
                f"{kind.replace('_keys', '')} tensors, e.g. {keys[0]})"
            )
    return model


def is_encoder_decoder(path: str | os.PathLike[str], *, what: str) -> bool:
    """Whether the model saved at ``path`` is an encoder-decoder (else a causal LM), from its
    config.json.

    Raises
    ------
    DataError
        One line naming ``path`` when config.json cannot be read.
    """
    from transformers import AutoConfig

    try:
        with quiet_transformers():
            config = AutoConfig.from_pretrained(
                path, local_files_only=True, trust_remote_code=False
            )
    except (OSError, ValueError, KeyError) as err:
        raise DataError(f"{what} {path}: cannot read config.json ({_first_line(err)})") from None
    return bool(getattr(config, "is_encoder_decoder", False))


def load_student_model(path: str | os.PathLike[str], *, what: str, **options: Any) -> Any:
    """A student's model, seq2seq or causal as its config.json says (:func:`load_pretrained`)."""
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    # Missing weights are named before an unreadable config (load_pretrained checks them first).
    seq2seq = not has_safetensors(path) or is_encoder_decoder(path, what=what)
    model_class = AutoModelForSeq2SeqLM if seq2seq else AutoModelForCausalLM
    return load_pretrained(model_class, path, what=what, **options)
