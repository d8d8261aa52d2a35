"""Arguments and helpers shared by several verbs, so each verb spells them the same way."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from evalsuite.errors import UsageError

__all__ = [
    "NotBuilt",
    "add_chat_template_argument",
    "add_confidence_argument",
    "add_data_arguments",
    "add_json_argument",
    "print_json",
]


class NotBuilt(UsageError):
    """A verb of the contract that is not implemented yet: said plainly, exit status 2."""

    def __init__(self, verb: str, issue: int) -> None:
        super().__init__(f"'evalsuite {verb}' is not built yet (tracked in issue {issue})")


def add_data_arguments(
    parser: argparse.ArgumentParser, *, task_required: bool = True, split: bool = True
) -> None:
    """--task, --data-dir and --split, as every data-reading verb takes them.

    ``split=False`` leaves out --split, for verbs that choose their splits themselves (train).
    """
    from evalsuite.tasks import task_names

    parser.add_argument(
        "--task",
        required=task_required,
        metavar="TASK",
        help=f"task name: {', '.join(task_names())}",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="DSS release root, JSONL file or saved HF dataset (default: $EVALSUITE_DATA)",
    )
    if split:
        parser.add_argument("--split", default="test", help="train, valid or test (default: test)")


def add_chat_template_argument(
    parser: argparse.ArgumentParser, *, source_run: bool = False
) -> None:
    """``--chat-template``, as every verb that prompts a student takes it (``score``, ``probe``).

    ``source_run``: the verb also reads a scored run, whose own chat template is then kept.
    """
    inherited = " (a scored run given as CKPT keeps its own)" if source_run else ""
    parser.add_argument(
        "--chat-template",
        action="store_true",
        help=f"format each prompt as a user turn of the tokenizer's chat template{inherited}",
    )


def add_confidence_argument(parser: argparse.ArgumentParser) -> None:
    """``--confidence answer|normalized|sequence``, shared by ``metrics`` and ``report``."""
    from evalsuite.names import CONFIDENCE_VARIANTS

    parser.add_argument(
        "--confidence",
        default="answer",
        choices=CONFIDENCE_VARIANTS.names,
        help="which record confidence calibration uses: answer (P(answer tokens | input, "
        "rationale); default), normalized (exp of the mean token log-prob of the whole "
        "generation) or sequence (the whole generation's probability); see docs/confidence.md",
    )


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    """--json: one JSON document on stdout and nothing else there."""
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document on stdout instead of a table"
    )


def print_json(document: Any) -> None:
    """Print one JSON document on stdout, whole or not at all.

    The text is made before anything is written, so a failure cannot leave half a document on
    stdout. Text that stdout cannot encode (a lone surrogate, or any non-ASCII character on an
    ASCII stream) is written as JSON escapes instead, which every JSON reader accepts.
    """
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        text.encode(sys.stdout.encoding or "utf-8")
    except UnicodeEncodeError:
        text = json.dumps(document, indent=2, ensure_ascii=True) + "\n"
    sys.stdout.write(text)
