"""Causal (decoder-only) students through the one student interface: left padding, the pad
token, EOS on targets, loss on target tokens only, the model width, and scoring a batch equal
to scoring one example at a time.

Every comparison is between two passes of the same (randomly initialised) model, never against
what a model happens to emit, so the tests hold on any CPU kernel.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy.special import softmax

from evalsuite.checkpoint import PromptFormat
from evalsuite.data import load_examples
from evalsuite.errors import DataError
from evalsuite.example import Example
from evalsuite.model_loading import quiet_transformers
from evalsuite.scoring.causal_student import (
    CausalStudent,
    causal_forced_outputs,
    causal_target_ids,
    left_align,
    left_pad,
)
from evalsuite.scoring.decoding import DecodingConfig
from evalsuite.scoring.formats import score_batch
from evalsuite.scoring.student import (
    Seq2SeqStudent,
    Student,
    forced_outputs,
    load_student,
    make_student,
)
from evalsuite.tasks import NLI_LABELS, get_task
from tests.scoring.tiny_checkpoint import ARITH, TEST_STUDENT
from trainers.batching import Pair, collate, encode_pairs
from trainers.losses import IGNORE_INDEX, sequence_cross_entropy
from trainers.student import TINY_MODELS, TinyStudentConfig, build_tiny_student

pytestmark = pytest.mark.kernels

CAUSAL = ("tiny-gpt2", "tiny-llama")
CPU = torch.device("cpu")
DSS = PromptFormat(
    recipe="dss", task="arith", output="multitask", label_prefix="predict: ",
    rationale_prefix="explain: ", max_target_length=12,
)  # fmt: skip


def _corpus() -> list[str]:
    examples = load_examples("arith", "train", arith=ARITH)
    texts = [e.input for e in examples] + [f"predict: {e.input}" for e in examples]
    texts += [e.teacher_rationale or "" for e in examples] + list(NLI_LABELS)
    return [*texts, "So the answer is", "Premise: a man sleeps. Hypothesis: a man is awake."]


def _student(kind: str, *, seed: int = 0) -> Student:
    torch.manual_seed(seed)
    model, tokenizer = build_tiny_student(_corpus(), TinyStudentConfig(**TEST_STUDENT), kind=kind)
    return make_student(model, tokenizer, device=CPU, max_input_length=128)


@pytest.fixture(scope="module", params=CAUSAL)
def causal(request) -> Student:
    return _student(request.param)


def test_the_loader_picks_the_implementation_from_the_config(tmp_path):
    for kind, expected in [("tiny", Seq2SeqStudent), *[(k, CausalStudent) for k in CAUSAL]]:
        student = _student(kind)
        student.model.save_pretrained(tmp_path / kind)
        student.tokenizer.save_pretrained(tmp_path / kind)
        loaded = load_student(tmp_path / kind, device=CPU, max_input_length=64)
        assert type(loaded) is expected and type(student) is expected
        assert loaded.architecture == ("encoder-decoder" if kind == "tiny" else "causal")


def test_tiny_architectures():
    from transformers import GPT2LMHeadModel, LlamaForCausalLM, T5ForConditionalGeneration

    kinds = {"tiny": T5ForConditionalGeneration, "tiny-gpt2": GPT2LMHeadModel,
             "tiny-llama": LlamaForCausalLM}  # fmt: skip
    assert tuple(TINY_MODELS) == tuple(kinds)
    for kind, model_class in kinds.items():
        assert type(_student(kind).model) is model_class
    llama = _student("tiny-llama").model
    # the LLaMA/Mistral/Qwen block: RMSNorm, rotary positions, SwiGLU (silu-gated MLP)
    assert type(llama.model.norm).__name__ == "LlamaRMSNorm"
    assert llama.config.hidden_act == "silu" and hasattr(llama.model, "rotary_emb")
    assert llama.config.hidden_size == TEST_STUDENT["d_model"]


def test_tiny_gpt2_refuses_heads_that_do_not_divide_the_width():
    from evalsuite.errors import UsageError
    from trainers.student import tiny_model

    tokenizer = _student("tiny").tokenizer
    with pytest.raises(UsageError, match="tiny-gpt2: d_model 30 must be a multiple of num_heads 4"):
        tiny_model(tokenizer, TinyStudentConfig(d_model=30, num_heads=4), kind="tiny-gpt2")


# -- left padding ---------------------------------------------------------------------------------
def test_prompts_are_left_padded(causal):
    prompts = ["predict: 1", "predict: Ava has 3 apples and gets 4 more"]
    encoded = causal.encode(prompts)
    mask = encoded.attention_mask
    assert mask[1].all() and not mask[0, 0] and mask[0, -1]  # pads come first
    assert mask.sum(1).tolist() == causal.input_lengths(prompts)
    assert encoded.input_ids[0, -int(mask[0].sum()) :].tolist() == causal.prompt_ids(prompts)[0]


def test_left_align_moves_right_padding_to_the_left():
    ids, mask = left_pad([[5], [6, 7, 8]], pad_id=0)
    assert ids.tolist() == [[0, 0, 5], [6, 7, 8]] and mask.tolist() == [[0, 0, 1], [1, 1, 1]]
    right = torch.tensor([[5, 0, 0], [6, 7, 8]])
    assert [t.tolist() for t in left_align(right, (right > 0).long())] == [
        ids.tolist(),
        mask.tolist(),
    ]


def test_scoring_in_a_batch_of_8_equals_one_example_at_a_time(causal):
    """Regression pin: without left padding (and positions counted over real tokens), a short
    prompt in a batch continues after pad tokens and its prediction changes."""
    examples = load_examples("arith", "test", arith=ARITH)[:8]
    lengths = causal.input_lengths([DSS.label_prefix + e.input for e in examples])
    assert len(set(lengths)) > 1  # the batch really pads

    def score(batch):
        return score_batch(causal, get_task("arith"), DSS, batch, decoding=DecodingConfig(),
                           max_new_tokens=12)  # fmt: skip

    batched = score(examples)
    alone = [score([e])[0] for e in examples]
    for b, a in zip(batched, alone, strict=True):
        assert b.record.prediction == a.record.prediction
        assert b.record.rationale == a.record.rationale
        assert b.record.confidence == pytest.approx(a.record.confidence, abs=1e-4)
        for key in ("label_repr", "rationale_repr", "label_prompt_repr", "rationale_prompt_repr"):
            np.testing.assert_allclose(b.representations[key], a.representations[key], atol=1e-4)


# -- label_probs ----------------------------------------------------------------------------------
def _reference_log_prob(student: Student, prompt: str, target: list[int]) -> float:
    """log P(target | prompt) from one unbatched forward pass without padding."""
    prompt_ids = student.tokenizer(prompt)["input_ids"]
    with torch.no_grad():
        if isinstance(student, Seq2SeqStudent):
            logits = student.model(
                input_ids=torch.tensor([prompt_ids]), labels=torch.tensor([target])
            ).logits[0]
        else:
            ids = torch.tensor([prompt_ids + target])
            logits = student.model(input_ids=ids).logits[0, len(prompt_ids) - 1 : -1]
    return float(torch.log_softmax(logits, -1)[torch.arange(len(target)), target].sum())


@pytest.mark.parametrize("kind", ["tiny", *CAUSAL])
def test_label_probs_equal_a_per_candidate_forward_pass(kind):
    student = _student(kind)
    task = get_task("esnli")
    prompt = PromptFormat(recipe="standard", task="esnli", output="label",
                          label_prefix="predict: ", max_target_length=6)  # fmt: skip
    inputs = [
        "Premise: a man sleeps. Hypothesis: a man is awake.",
        "Premise: a dog. Hypothesis: a",
        "Premise: two men play chess in the park on a sunny day. Hypothesis: men play.",
    ]
    examples = [Example(id=str(i), input=text, gold="neutral", split="test")
                for i, text in enumerate(inputs)]  # fmt: skip
    scored = score_batch(student, task, prompt, examples, decoding=DecodingConfig(),
                         max_new_tokens=6)  # fmt: skip
    for example, result in zip(examples, scored, strict=True):
        labels = task.label_set(example)
        assert labels and result.record.label_probs is not None
        reference = softmax([
            _reference_log_prob(student, prompt.label_prefix + example.input, ids)
            for ids in student.target_ids(labels)
        ])  # fmt: skip
        got = [result.record.label_probs[label] for label in labels]
        np.testing.assert_allclose(got, reference, rtol=1e-3)


# -- the pad token and EOS ------------------------------------------------------------------------
def _tokenizer_without_pad():
    """A GPT-2-like tokenizer: an EOS token, no pad token, and nothing appended to text."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = ["<|endoftext|>", "<unk>", "predict", ":", "the", "cat", "sat", "on", "a", "mat",
             "1", "2", "yes", "no"]  # fmt: skip
    core = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=core, eos_token="<|endoftext|>", unk_token="<unk>"
    )


def test_a_tokenizer_without_pad_pads_with_eos_and_the_model_is_not_resized(tmp_path):
    from transformers import GPT2Config, GPT2LMHeadModel

    tokenizer = _tokenizer_without_pad()
    assert tokenizer.pad_token_id is None
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=64, n_embd=16, n_layer=1,
                        n_head=2, eos_token_id=0, bos_token_id=0)  # fmt: skip
    GPT2LMHeadModel(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)

    student = load_student(tmp_path, device=CPU, max_input_length=32)
    assert student.pad_id == student.eos_id == 0
    assert student.model.get_input_embeddings().weight.shape[0] == len(tokenizer) == 14
    # the EOS-padded batch continues exactly as each prompt does alone
    prompts = ["predict: the cat", "predict: the cat sat on a mat 1 2"]
    batched = student.generate(student.encode(prompts), DecodingConfig(), max_new_tokens=5, seed=0)
    for i, text in enumerate(prompts):
        alone = student.generate(student.encode([text]), DecodingConfig(), max_new_tokens=5, seed=0)
        assert batched.token_ids[i] == alone.token_ids[0]
        assert batched.token_log_probs[i] == pytest.approx(alone.token_log_probs[0], abs=1e-4)


def test_targets_end_with_eos_when_the_tokenizer_appends_none():
    tokenizer = _tokenizer_without_pad()
    assert tokenizer(["yes no"])["input_ids"] == [[12, 13]]  # no EOS of its own
    assert causal_target_ids(tokenizer, ["yes no", ""]) == [[12, 13, 0], [0]]
    assert causal_target_ids(tokenizer, ["the cat sat"], max_length=2) == [[4, 0]]
    encoded = encode_pairs([{"label": Pair("predict: the cat", "yes no")}], tokenizer,
                           max_input_length=8, max_target_length=8, causal=True)  # fmt: skip
    assert encoded.targets["label"] == [[12, 13, 0]]
    # the project's own tokenizer appends EOS itself: still exactly one
    t5_like = _student("tiny-gpt2").tokenizer
    eos = t5_like.eos_token_id
    (ids,) = causal_target_ids(t5_like, ["yes"])
    assert ids[-1] == eos and eos not in ids[:-1]


# -- training: loss on target tokens only, the width ----------------------------------------------
@pytest.mark.parametrize("kind", CAUSAL)
def test_the_causal_loss_is_on_the_target_tokens_only(kind):
    """The loss of the trainer's pass equals Hugging Face's own loss on prompt + target with the
    prompt's labels set to -100 (it shifts the labels itself), summed over examples."""
    student = _student(kind)
    model, tokenizer = student.model, student.tokenizer
    pairs = [{"label": Pair("predict: Ava has 3 apples", "( 3.0 + 4.0 )")},
             {"label": Pair("predict: 1", "7 apples So the answer is 7")}]  # fmt: skip
    encoded = encode_pairs(pairs, tokenizer, max_input_length=64, max_target_length=64, causal=True)
    batch = collate(encoded, [0, 1], pad_id=tokenizer.pad_token_id)["label"]  # right-padded
    logits, _ = forced_outputs(model, batch["input_ids"], batch["attention_mask"], batch["labels"],
                               hidden=False)  # fmt: skip
    ours = sequence_cross_entropy(logits, batch["labels"], n_tokens=1.0)
    reference = 0.0
    for i in range(2):
        prompt, target = encoded.sources["label"][i], encoded.targets["label"][i]
        labels = torch.tensor([[IGNORE_INDEX] * len(prompt) + list(target)])
        out = model(input_ids=torch.tensor([list(prompt) + list(target)]), labels=labels)
        reference += float(out.loss) * len(target)
    assert float(ours) == pytest.approx(reference, rel=1e-4)


def test_forced_states_are_aligned_with_the_targets(causal):
    """Position j of the forced pass is the model's state after the prompt and targets < j."""
    prompt = causal.prompt_ids(["predict: Ava has 3 apples"])[0]
    target = causal.target_ids(["( 3.0 + 4.0 )"])[0]
    p_ids, p_mask = left_pad([prompt], pad_id=causal.pad_id)
    with torch.no_grad():
        _, hidden = causal_forced_outputs(
            causal.model, p_ids, p_mask, torch.tensor([target]), torch.ones(1, len(target)),
            logits=False, hidden=True,
        )  # fmt: skip
        full = causal.model.base_model(input_ids=torch.tensor([prompt + target])).last_hidden_state
    assert hidden is not None
    torch.testing.assert_close(hidden[0], full[0, len(prompt) - 1 : -1], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("kind", CAUSAL)
def test_the_infonce_head_takes_the_models_width(kind):
    from trainers.config import make_config
    from trainers.recipes import RecipeModule, get_recipe, model_width

    config = make_config(recipe="mi", task="arith", out="unused", mi_variant="infonce")
    module = RecipeModule(_student(kind).model, get_recipe(config, get_task("arith")))
    assert module.extra is not None
    assert module.extra.label.in_features == TEST_STUDENT["d_model"] == model_width(module.model)

    class NoWidth(torch.nn.Module):
        config = object()

    with pytest.raises(ValueError, match="no positive hidden_size"):
        model_width(NoWidth())


def test_validation_decoding_is_the_scorers_generate(causal):
    """Regression pin: the trainer decoded ``model.generate`` output whole, which for a causal
    model starts with the prompt; it now reads the scorer's continuation."""
    from trainers.config import make_config
    from trainers.evaluation import decode_labels
    from trainers.recipes import get_recipe

    examples = load_examples("arith", "valid", arith=ARITH)[:3]
    recipe = get_recipe(make_config(recipe="dss", task="arith", out="unused"), get_task("arith"))
    texts = decode_labels(causal.model, causal.tokenizer, recipe, examples, batch_size=2,
                          max_input_length=128, max_new_tokens=6, device=CPU)  # fmt: skip
    for text, example in zip(texts, examples, strict=True):
        alone = causal.generate(causal.encode([recipe.label_source(example)]), DecodingConfig(),
                                max_new_tokens=6, seed=0)  # fmt: skip
        assert text == alone.texts[0]


# -- --chat-template -------------------------------------------------------------------------------
TEMPLATE = (
    "{% for m in messages %}Q: {{ m['content'] }}{% endfor %}"
    "{% if add_generation_prompt %} A:{% endif %}"
)


def test_a_chat_template_lays_out_the_prompt():
    student = _student("tiny-gpt2")
    plain = student.prompt_ids(["predict: 1 + 2"])
    with pytest.raises(DataError, match=r"^--chat-template: the tokenizer of ckpt has no chat"):
        student.use_chat_template("ckpt")
    student.tokenizer.chat_template = TEMPLATE
    student.use_chat_template("ckpt")
    assert student.prompt_texts(["predict: 1 + 2"]) == ["Q: predict: 1 + 2 A:"]
    ids = student.tokenizer("Q: predict: 1 + 2 A:", add_special_tokens=False)["input_ids"]
    assert student.prompt_ids(["predict: 1 + 2"]) == [ids] != plain
    assert student.encode(["predict: 1 + 2"]).input_ids[0].tolist() == ids


def test_score_with_a_chat_template_is_its_own_run(tmp_path, cli):
    student = _student("tiny-gpt2")
    ckpt = tmp_path / "ckpt"
    with quiet_transformers():  # no progress bar in the captured stderr
        student.model.save_pretrained(ckpt)
    student.tokenizer.save_pretrained(ckpt)
    options = ("--task", "arith", "--format", "standard", "--split", "test", "--limit", "2",
               "--max-new-tokens", "4", "--no-representations", "--quiet")  # fmt: skip
    refused = cli("score", ckpt, *options, "--chat-template", "--out", tmp_path / "a")
    assert refused.code == 2 and refused.err.strip().splitlines() == [
        f"evalsuite: error: --chat-template: the tokenizer of {ckpt} has no chat template"
    ]
    assert not (tmp_path / "a").exists()

    student.tokenizer.chat_template = TEMPLATE
    student.tokenizer.save_pretrained(ckpt)
    plain = cli("score", ckpt, *options, "--out", tmp_path / "plain")
    chat = cli("score", ckpt, *options, "--chat-template", "--out", tmp_path / "chat")
    assert plain.code == chat.code == 0, plain.err + chat.err
    manifests = [
        json.loads((tmp_path / n / "manifest.json").read_text()) for n in ("plain", "chat")
    ]
    assert "chat_template" not in manifests[0]["model"]["prompt"]
    assert manifests[1]["model"]["prompt"]["chat_template"] is True
    # resuming the plain run with the template is refused: another prompt, another run
    again = cli("score", ckpt, *options, "--chat-template", "--out", tmp_path / "plain")
    assert again.code == 2 and "prompt" in again.err
