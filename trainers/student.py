"""Student construction: a tiny model built from a config, or a local Hugging Face checkpoint.

Tiny students come in three architectures (:data:`TINY_MODELS`): ``tiny`` (a T5),
``tiny-gpt2`` and ``tiny-llama`` (the LLaMA/Mistral/Qwen block: RMSNorm, rotary positions,
SwiGLU). Each gets a SentencePiece tokenizer trained on the task's own training text, because
nothing can be fetched from a hub. T5's special-token layout is kept (pad 0, eos 1, unk 2).
"""

from __future__ import annotations

import math
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evalsuite.errors import UsageError
from evalsuite.registry import Registry
from evalsuite.scoring.causal_student import ensure_pad_token

__all__ = [
    "PIECES",
    "TINY_MODELS",
    "TinyStudentConfig",
    "build_tiny_student",
    "load_student",
    "tiny_model",
    "train_tokenizer",
    "use_fused_gelu",
]


PIECES = ("unigram", "bpe")
"""How the tiny tokenizer finds its pieces; see :func:`train_tokenizer`."""


@dataclass(frozen=True)
class TinyStudentConfig:
    """Shape of a tiny student. Small enough to train on two CPU cores in minutes.

    The causal architectures stack ``num_layers + num_decoder_layers`` blocks (as deep as the
    T5's encoder and decoder together) of width ``d_model`` with ``num_heads`` heads; tiny-gpt2
    splits ``d_model`` among its heads, tiny-llama gives each head ``d_kv`` dimensions as T5 does.

    ``relative_attention_num_buckets`` and ``relative_attention_max_distance`` shape the T5's
    relative position buckets (T5's own 32 and 128 by default; the causal students ignore
    them). T5's cross-attention sees no position at all, so a T5 student that writes the k-th
    number of a problem into its equation must learn from its encoder where each number
    stands; 32 buckets tell distances apart exactly only up to 8 tokens each way, 128 up to 32
    (an arith problem is about 40 tokens). Measured on arith (2+2 layers, 1200 steps), 128
    buckets lifted test accuracy from 48.4 % to 56.8 %, but added nothing to 3+3 layers
    (``trainers.config.DEFAULT_TINY``), so the default stays T5's.
    """

    vocab_size: int = 800
    d_model: int = 128
    d_ff: int = 256
    num_layers: int = 2
    num_decoder_layers: int = 2
    num_heads: int = 4
    d_kv: int = 32
    dropout_rate: float = 0.0
    pieces: str = "unigram"
    relative_attention_num_buckets: int = 32
    relative_attention_max_distance: int = 128

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if name not in ("dropout_rate", "pieces") and value <= 0:
                raise UsageError(f"tiny student: {name} must be positive, got {value}")
        if not 0.0 <= self.dropout_rate < 1.0:
            raise UsageError(
                f"tiny student: dropout_rate must be in [0, 1), got {self.dropout_rate}"
            )
        if self.pieces not in PIECES:
            raise UsageError(
                f"tiny student: pieces must be one of {', '.join(PIECES)}, got {self.pieces!r}"
            )


def train_tokenizer(texts: Iterable[str], *, vocab_size: int, pieces: str = "unigram") -> Any:
    """Train a SentencePiece model on ``texts`` and wrap it as a T5 (unigram) tokenizer.

    ``pieces="unigram"`` keeps SentencePiece's own unigram training. Its seed vocabulary holds
    only substrings that are maximal repeats, so on templated text (the synthetic task) every
    word that is always followed by a space is never a candidate and gets spelled out in
    fragments. ``pieces="bpe"`` finds the pieces with SentencePiece BPE instead (whole words),
    scores every piece as a unigram language model would: the log of its relative frequency in
    the BPE segmentation of ``texts``, and adds every number of ``texts`` as one piece, a
    decimal's fractional part as a second (:func:`_with_whole_numbers`). On arith this halves
    sequence lengths (input 77 -> 40 tokens on average), which is what lets a tiny student copy
    numbers.

    ``hard_vocab_limit=False`` lets a small corpus end with fewer pieces than asked for.
    """
    import sentencepiece as spm
    from transformers import T5Tokenizer

    corpus = [t for t in texts if t.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        prefix = str(Path(tmp) / "spiece")
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(corpus),
            model_prefix=prefix,
            vocab_size=vocab_size,
            model_type=pieces,
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
    if pieces == "bpe":
        counts = Counter(i for ids in processor.encode(corpus) for i in ids)
        total = sum(counts.values())
        # +0.5: pieces BPE made but its own segmentation never emits stay usable but unlikely
        vocab = [
            (piece, 0.0 if processor.is_control(i) or processor.is_unknown(i)
             else math.log((counts[i] + 0.5) / total))
            for i, (piece, _) in enumerate(vocab)
        ]  # fmt: skip
        vocab = _with_whole_numbers(vocab, corpus, n_special=3)
    return T5Tokenizer(vocab=vocab, extra_ids=0)


WORD_START = "\u2581"
"""SentencePiece's word-start mark (a space before the piece)."""

_NUMBER = re.compile(r"(?<!\S)(\d+)(\.\d+)?(?=[\s.,;:!?)]|$)")
"""A number standing as a word (``49``, ``49.0``; a sentence's full stop may follow it): its
whole part and its fractional part."""

_ACROSS_POINT = re.compile(r"\d\.|\.\d")
"""A piece that joins digits across a decimal point (``49.0``, ``9.``, ``.0`` with more)."""


def _with_whole_numbers(
    vocab: list[tuple[str, float]], corpus: list[str], *, n_special: int
) -> list[tuple[str, float]]:
    """``vocab`` with every number of ``corpus`` as one word-start piece that always wins, its
    fractional part (``.0``) as one more piece.

    BPE merges only frequent digit pairs, so a rare number (``625``) is spelled in fragments,
    and a tiny student then has to learn to copy and compute digit by digit; with each number
    one token it learns arith within minutes (issue 15). ``49.0`` is ``49`` and ``.0``: the
    label's ``( 49.0 + 3.0 )`` then holds the very token the problem's ``49`` is, and a student
    learns to copy every number at once instead of learning, number by number, that ``49``
    is written ``49.0`` (one token ``49.0`` left 70 % of a tiny student's errors on arith
    wrong numbers, and rare numbers were never learned).

    A segmentation maximises the summed piece scores, and every score is a log probability, at
    most ``best``. Number pieces score at least ``2 * best + 0.01``, more than any split of them
    into two or more pieces (a split holds at most one number piece, itself no higher, plus a
    piece of at most ``best`` < 0); pieces that join digits across the point are dropped, so a
    decimal is always its whole part then its fractional part.
    """
    best = max(score for _, score in vocab[n_special:])
    floor = 2 * best + 0.01
    numbers: set[str] = set()
    for text in corpus:
        for whole, fraction in _NUMBER.findall(text):
            numbers.add(WORD_START + whole)
            if fraction:
                numbers.add(fraction)
    out = [
        (piece, max(score, floor) if piece in numbers else score)
        for i, (piece, score) in enumerate(vocab)
        if i < n_special or piece in numbers or not _ACROSS_POINT.search(piece)
    ]
    known = {piece for piece, _ in vocab}
    out += [(piece, floor) for piece in sorted(numbers - known)]
    return out


def build_tiny_student(
    texts: Iterable[str], config: TinyStudentConfig | None = None, *, kind: str = "tiny"
) -> Any:
    """A randomly initialised tiny student of architecture ``kind`` (:data:`TINY_MODELS`) and
    its tokenizer trained on ``texts``.

    Returns ``(model, tokenizer)``. Seed torch before calling for reproducible weights.
    """
    cfg = config or TinyStudentConfig()
    tokenizer = train_tokenizer(texts, vocab_size=cfg.vocab_size, pieces=cfg.pieces)
    return tiny_model(tokenizer, cfg, kind=kind), tokenizer


DEFAULT_MAX_POSITIONS = 1280
"""Positions of a tiny causal student by default: the trainer's longest prompt and target."""


def tiny_model(
    tokenizer: Any,
    config: TinyStudentConfig | None = None,
    *,
    kind: str = "tiny",
    max_positions: int = DEFAULT_MAX_POSITIONS,
) -> Any:
    """A randomly initialised tiny student sized for ``tokenizer``. Seed torch first to
    reproduce it. ``max_positions`` bounds prompt plus target of a causal student.

    Raises
    ------
    UsageError
        For an unknown ``kind``, or a shape the architecture cannot take.
    """
    return TINY_MODELS[kind](tokenizer, config or TinyStudentConfig(), max_positions)


def _tiny_t5(tokenizer: Any, cfg: TinyStudentConfig, max_positions: int) -> Any:
    from transformers import T5Config, T5ForConditionalGeneration

    model_config = T5Config(
        vocab_size=len(tokenizer),
        d_model=cfg.d_model,
        d_ff=cfg.d_ff,
        num_layers=cfg.num_layers,
        num_decoder_layers=cfg.num_decoder_layers,
        num_heads=cfg.num_heads,
        d_kv=cfg.d_kv,
        dropout_rate=cfg.dropout_rate,
        relative_attention_num_buckets=cfg.relative_attention_num_buckets,
        relative_attention_max_distance=cfg.relative_attention_max_distance,
        feed_forward_proj="gated-gelu",
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    # T5 starts decoding from the pad token; without this, shifting labels right (training) and
    # generate() both fail (transformers 5 no longer sets it by default).
    model_config.decoder_start_token_id = tokenizer.pad_token_id
    return T5ForConditionalGeneration(model_config)


def _tiny_gpt2(tokenizer: Any, cfg: TinyStudentConfig, max_positions: int) -> Any:
    from transformers import GPT2Config, GPT2LMHeadModel

    if cfg.d_model % cfg.num_heads:
        raise UsageError(
            f"tiny-gpt2: d_model {cfg.d_model} must be a multiple of num_heads {cfg.num_heads}"
        )
    model_config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=max_positions,
        n_embd=cfg.d_model,
        n_inner=cfg.d_ff,
        n_layer=cfg.num_layers + cfg.num_decoder_layers,
        n_head=cfg.num_heads,
        resid_pdrop=cfg.dropout_rate,
        embd_pdrop=cfg.dropout_rate,
        attn_pdrop=cfg.dropout_rate,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return GPT2LMHeadModel(model_config)


def _tiny_llama(tokenizer: Any, cfg: TinyStudentConfig, max_positions: int) -> Any:
    from transformers import LlamaConfig, LlamaForCausalLM

    model_config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=cfg.d_model,
        intermediate_size=cfg.d_ff,
        num_hidden_layers=cfg.num_layers + cfg.num_decoder_layers,
        num_attention_heads=cfg.num_heads,
        num_key_value_heads=cfg.num_heads,
        head_dim=cfg.d_kv,
        max_position_embeddings=max_positions,
        attention_dropout=cfg.dropout_rate,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return LlamaForCausalLM(model_config)


def use_fused_gelu(model: Any) -> int:
    """Run ``model``'s ``gelu_new`` activations (T5's gated-gelu, GPT-2's MLP) on PyTorch's fused
    kernel of the same function (``gelu(approximate="tanh")``); returns how many were swapped.

    Why: transformers computes ``gelu_new`` as eight tensor operations, each kept for the
    backward pass; the fused kernel is one, and on CPU it was ~6x faster (fwd + bwd). It is the
    same formula, equal to within float rounding (max 2.4e-7 apart on unit normal inputs), and
    nothing that is saved changes: the config still names ``gelu_new``.
    """
    from transformers.activations import GELUTanh, NewGELUActivation

    swapped = 0
    for parent in model.modules():
        for name, child in parent.named_children():
            if isinstance(child, NewGELUActivation):
                setattr(parent, name, GELUTanh())
                swapped += 1
    return swapped


TINY_MODELS = Registry(
    "tiny model", {"tiny": _tiny_t5, "tiny-gpt2": _tiny_gpt2, "tiny-llama": _tiny_llama}
)
"""``--model`` names of the students built from scratch: T5, GPT-2 and LLaMA blocks."""


def load_student(path: str | Path, *, dtype: Any = None) -> Any:
    """Load a local checkpoint (encoder-decoder or causal, as its config.json says) and its
    tokenizer; never from a hub, never remote code.

    ``dtype`` (e.g. ``torch.float32`` for training) overrides the checkpoint's own; by default
    transformers picks it from the checkpoint.

    Raises
    ------
    UsageError
        When ``path`` is not a local directory, or lacks config.json or safetensors weights
        (pickled ``.bin`` weights are refused).
    """
    from transformers import AutoTokenizer

    from evalsuite.model_loading import load_student_model, quiet_transformers

    root = Path(path)
    if not root.is_dir():
        raise UsageError(f"--model {root}: not a local checkpoint directory")
    if not (root / "config.json").is_file():
        raise UsageError(f"--model {root}: no config.json (not a Hugging Face checkpoint)")
    if not any(root.glob("*.safetensors")):
        raise UsageError(
            f"--model {root}: no safetensors weights (pickled .bin weights are refused; "
            "convert them with safetensors first)"
        )
    options = {"dtype": dtype} if dtype is not None else {}
    model = load_student_model(root, what="--model", **options)
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(
            root, local_files_only=True, trust_remote_code=False
        )
    if not model.config.is_encoder_decoder:
        ensure_pad_token(tokenizer)  # GPT-2 has none; the saved tokenizer then pads with EOS
    return model, tokenizer
