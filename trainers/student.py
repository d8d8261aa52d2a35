"""Student construction: a tiny T5 built from a config, or a local Hugging Face T5 checkpoint.

The tiny student gets a SentencePiece unigram tokenizer trained on the task's own training text,
because nothing can be fetched from a hub. T5's special-token layout is kept (pad 0, eos 1, unk 2).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evalsuite.errors import UsageError

__all__ = ["TinyStudentConfig", "build_tiny_student", "load_student", "train_tokenizer"]


@dataclass(frozen=True)
class TinyStudentConfig:
    """Shape of the tiny T5 student. Small enough to train on two CPU cores in minutes."""

    vocab_size: int = 800
    d_model: int = 128
    d_ff: int = 256
    num_layers: int = 2
    num_decoder_layers: int = 2
    num_heads: int = 4
    d_kv: int = 32
    dropout_rate: float = 0.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if name != "dropout_rate" and value <= 0:
                raise UsageError(f"tiny student: {name} must be positive, got {value}")


def train_tokenizer(texts: Iterable[str], *, vocab_size: int) -> Any:
    """Train a SentencePiece unigram model on ``texts`` and wrap it as a T5 tokenizer.

    ``hard_vocab_limit=False`` lets a small corpus end with fewer pieces than asked for.
    """
    import sentencepiece as spm
    from transformers import T5Tokenizer

    with tempfile.TemporaryDirectory() as tmp:
        prefix = str(Path(tmp) / "spiece")
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter([t for t in texts if t.strip()]),
            model_prefix=prefix,
            vocab_size=vocab_size,
            model_type="unigram",
            pad_id=0,
            eos_id=1,
            unk_id=2,
            bos_id=-1,
            character_coverage=1.0,
            hard_vocab_limit=False,
            minloglevel=2,
        )
        processor = spm.SentencePieceProcessor(model_file=f"{prefix}.model")
    vocab = [(processor.id_to_piece(i), processor.get_score(i)) for i in range(len(processor))]
    return T5Tokenizer(vocab=vocab, extra_ids=0)


def build_tiny_student(texts: Iterable[str], config: TinyStudentConfig | None = None) -> Any:
    """A randomly initialised tiny T5 and its tokenizer trained on ``texts``.

    Returns ``(model, tokenizer)``. Seed torch before calling for reproducible weights.
    """
    from transformers import T5Config, T5ForConditionalGeneration

    cfg = config or TinyStudentConfig()
    tokenizer = train_tokenizer(texts, vocab_size=cfg.vocab_size)
    model_config = T5Config(
        vocab_size=len(tokenizer),
        d_model=cfg.d_model,
        d_ff=cfg.d_ff,
        num_layers=cfg.num_layers,
        num_decoder_layers=cfg.num_decoder_layers,
        num_heads=cfg.num_heads,
        d_kv=cfg.d_kv,
        dropout_rate=cfg.dropout_rate,
        feed_forward_proj="gated-gelu",
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    return T5ForConditionalGeneration(model_config), tokenizer


def load_student(path: str | Path) -> Any:
    """Load a local T5-family checkpoint and its tokenizer; never from a hub, never remote code.

    Raises
    ------
    UsageError
        When ``path`` is not a local directory.
    """
    from transformers import AutoTokenizer, T5ForConditionalGeneration

    root = Path(path)
    if not root.is_dir():
        raise UsageError(f"--model {root}: not a local checkpoint directory")
    model = T5ForConditionalGeneration.from_pretrained(
        root, local_files_only=True, use_safetensors=True, trust_remote_code=False
    )
    tokenizer = AutoTokenizer.from_pretrained(root, local_files_only=True, trust_remote_code=False)
    return model, tokenizer
