"""Convert a checkpoint's pickled weights (pytorch_model.bin, or shards with
pytorch_model.bin.index.json) to safetensors, so that `evalsuite score` can load it.

The pickle is read with torch.load(weights_only=True): a file that would run code, or holds
anything but tensors, is refused and nothing in it runs. config.json, generation_config.json,
the tokenizer files and train_manifest.json are copied; nothing else. DIR is written under a
temporary name and renamed, so it appears whole or not at all.
"""

from __future__ import annotations

import argparse

NAME = "convert"
HELP = "convert pickled pytorch_model.bin weights to safetensors (nothing in the pickle runs)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", metavar="CKPT", help="directory with pytorch_model.bin")
    parser.add_argument("--out", metavar="DIR", required=True, help="new directory to write")


def run(args: argparse.Namespace) -> int:
    from evalsuite.weights_conversion import convert_checkpoint

    done = convert_checkpoint(args.checkpoint, args.out)
    print(
        f"{done.out}: {done.n_tensors} tensors in {', '.join(done.weight_files)}; copied "
        f"{', '.join(done.copied) or 'no other files'}"
    )
    return 0
