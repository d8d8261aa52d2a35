"""Turn any model's predictions into a run: evalsuite's JSONL, an lm-eval samples file or an
inspect_ai log.

``--from jsonl`` (the default): one JSON object per line, `id` (or the formatted `input`; where
ids are positional, `3` and `"3"` name the split's fourth example, like `"test-3"`) and
`prediction`; optionally `rationale`, `confidence` (in [0, 1]) and `label_probs` (label ->
probability over the task's closed label set).
``--from lm-eval``: a ``samples_<task>_<date>.jsonl`` that ``lm_eval --log_samples`` wrote.
``--from inspect``: an inspect_ai ``.eval`` or ``.json`` log (needs ``pip install
'evalsuite[inspect]'``).
Every line or sample is validated and matched to its example first; the first bad one is
reported with its file and line (exit status 2) and nothing is written.
"""

from __future__ import annotations

import argparse

from evalsuite.commands.common import add_data_arguments

NAME = "import-predictions"
HELP = "turn any model's predictions (JSONL, lm-eval samples, inspect log) into a run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from evalsuite.interop import IMPORT_FORMATS
    from evalsuite.interop.joining import JOIN_MODES

    parser.add_argument("predictions", metavar="FILE", help="the predictions file or log")
    parser.add_argument(
        "--from",
        dest="source",
        choices=IMPORT_FORMATS,
        default="jsonl",
        help="the file's format (default: jsonl)",
    )
    add_data_arguments(parser)
    parser.add_argument("--out", required=True, metavar="RUN", help="run directory to write")
    parser.add_argument(
        "--filter",
        metavar="NAME",
        help="lm-eval: which filter's answers to read (e.g. strict-match), when the file has "
        "several",
    )
    parser.add_argument(
        "--join",
        choices=JOIN_MODES,
        default="auto",
        help="lm-eval/inspect: 'auto' joins by the sample's id and checks the doc's text; "
        "'text' joins by the text alone (the log's order differs from the split's)",
    )
    parser.add_argument(
        "--label-map",
        metavar="CHOICE=LABEL,...",
        help="lm-eval/inspect multiple choice: name the tool's choices by the task's labels",
    )


def run(args: argparse.Namespace) -> int:
    from evalsuite.errors import UsageError
    from evalsuite.interop.samples import parse_label_map
    from evalsuite.runs.imports import describe, import_log, import_predictions

    if args.source == "jsonl":
        given = [f"--{n}" for n in ("filter", "label_map") if getattr(args, n) is not None]
        if given or args.join != "auto":
            option = given[0] if given else "--join"
            raise UsageError(f"{option.replace('_', '-')} applies to --from lm-eval or inspect")
        result = import_predictions(
            args.predictions, args.task, args.split, out=args.out, data_dir=args.data_dir
        )
    else:
        result = import_log(
            args.predictions,
            args.task,
            args.split,
            source=args.source,
            out=args.out,
            data_dir=args.data_dir,
            filter_name=args.filter,
            join=args.join,
            label_map=parse_label_map(args.label_map),
        )
    print(describe(result))
    return 0
