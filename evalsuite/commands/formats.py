"""List the prompt-format presets `evalsuite score --format NAME` takes.

A checkpoint without train_manifest.json (the DSS or MI release, a Trainer's checkpoint-N) is
described by one of them; --label-prefix, --rationale-prefix and --output override its fields.
"""

from __future__ import annotations

import argparse
import json

from evalsuite.prompt_presets import PLANNED_PRESETS, PRESETS

NAME = "formats"
HELP = "list the prompt-format presets of `evalsuite score --format`"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="print the presets as one JSON document"
    )


def _shown(value: object) -> str:
    return "-" if value is None else repr(value)


def run(args: argparse.Namespace) -> int:
    if args.json:
        doc = {
            "presets": {
                name: {
                    "description": p.description,
                    "output": p.output,
                    "label_prefix": p.label_prefix,
                    "rationale_prefix": p.rationale_prefix,
                    "max_input_length": p.max_input_length,
                    "max_target_length": p.max_target_length,
                }
                for name, p in PRESETS.items()
            },
            "not_built": dict(PLANNED_PRESETS),
        }
        print(json.dumps(doc, indent=2))
        return 0
    for name, p in PRESETS.items():
        print(f"{name}: {p.description}")
        print(
            f"    output {p.output}, label prefix {_shown(p.label_prefix)}, rationale prefix "
            f"{_shown(p.rationale_prefix)}, max input {p.max_input_length} tokens, max target "
            f"{p.max_target_length} tokens"
        )
    for name, note in PLANNED_PRESETS.items():
        print(f"{name}: {note}")
    print("The input text is the task's own layout (the DSS release's); flags override a preset.")
    return 0
