"""Loading a Hugging Face model from local safetensors: quietly, completely, with one-line errors.

Every load of student weights (a checkpoint to score, a ``--model`` to fine-tune, a training
state to resume) goes through :func:`load_pretrained` (and a LoRA adapter's through
:func:`load_adapter`), so all three refuse pickled weights, never
run remote code, keep transformers' load report and progress bars off the terminal, and turn
any failure, including weights that do not fit the config (transformers would initialise the
missing ones at random and only log it), into one line naming the directory.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from evalsuite.errors import DataError

__all__ = [
    "RESUME_STATE",
    "has_safetensors",
    "is_encoder_decoder",
    "load_adapter",
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


def load_adapter(base: Any, path: str | os.PathLike[str], *, what: str, trainable: bool) -> Any:
    """``base`` (a transformers model) with the LoRA adapter saved at ``path``: a peft model.

    peft's own loader would fall back to a pickled ``adapter_model.bin``, or to the hub, when
    the safetensors file is absent; here the adapter is read from local safetensors only and
    every adapter tensor must land in the model.

    Parameters
    ----------
    base : transformers model
        The base model, as loaded by :func:`load_pretrained`. Modified in place.
    path : path
        A directory written by peft's ``save_pretrained`` (``adapter_config.json``,
        ``adapter_model.safetensors``).
    what : str
        What ``path`` is, the start of every error.
    trainable : bool
        Adapter parameters require gradients (resuming training) or not (scoring).

    Raises
    ------
    DataError
        One line naming ``path``: no safetensors adapter, a config peft cannot read, or
        adapter tensors that do not fit the base model.
    """
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from evalsuite.checkpoint import ADAPTER_CONFIG, ADAPTER_WEIGHTS_FILE

    root = Path(path)
    if not (root / ADAPTER_WEIGHTS_FILE).is_file():
        raise DataError(
            f"{what} {root}: no {ADAPTER_WEIGHTS_FILE} (pickled adapter weights are refused)"
        )
    try:
        config = LoraConfig.from_pretrained(str(root), local_files_only=True)
        config.inference_mode = not trainable
        tensors = load_file(root / ADAPTER_WEIGHTS_FILE)
        with warnings.catch_warnings():  # transformers' deprecation notices from inside peft,
            warnings.simplefilter("ignore", FutureWarning)  # and a base found elsewhere than
            warnings.filterwarnings("ignore", "The PEFT config's `base_model_name_or_path`")
            model = get_peft_model(base, config)  # peft's config says (the manifest decides)
        result: Any = set_peft_model_state_dict(model, tensors)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, SafetensorError) as err:
        raise DataError(f"{what} {root}: cannot load the adapter ({_first_line(err)})") from None
    unloaded = sorted(k for k in result.missing_keys if "lora_" in k)
    if result.unexpected_keys or unloaded:
        keys = sorted(result.unexpected_keys) or unloaded
        raise DataError(
            f"{what} {root}: {ADAPTER_CONFIG} and the adapter weights do not fit the base model "
            f"(e.g. {keys[0]})"
        )
    return model


def load_student_model(path: str | os.PathLike[str], *, what: str, **options: Any) -> Any:
    """A student's model, seq2seq or causal as its config.json says (:func:`load_pretrained`).

    A LoRA checkpoint loads as its base model with the adapter's layers in it, unmerged: a
    transformers model that computes base + adapter (:func:`load_adapter`). Call
    :func:`evalsuite.checkpoint.open_checkpoint` first: it checks the base is there and
    unchanged.
    """
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    from evalsuite.checkpoint import adapter_base, is_adapter, student_manifest

    if is_adapter(Path(path)):
        base = adapter_base(Path(path), student_manifest(Path(path)))
        model = load_student_model(base.path, what="base model", **options)
        return load_adapter(model, path, what=what, trainable=False).get_base_model()

    # Missing weights are named before an unreadable config (load_pretrained checks them first).
    seq2seq = not has_safetensors(path) or is_encoder_decoder(path, what=what)
    model_class = AutoModelForSeq2SeqLM if seq2seq else AutoModelForCausalLM
    return load_pretrained(model_class, path, what=what, **options)
