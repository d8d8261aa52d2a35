"""The CLI verbs, one module each: ``NAME``, ``HELP``, ``add_arguments(parser)``, ``run(args)``.

Verb modules import heavy libraries (torch, transformers) inside ``run`` so that ``--help`` and
bad-usage errors stay fast.
"""

from evalsuite.commands import (
    compare,
    convert,
    data,
    demo,
    export,
    formats,
    import_predictions,
    import_teacher,
    metrics,
    mi,
    probe,
    report,
    sandbox,
    score,
    sweep,
    train,
)

__all__ = ["COMMANDS"]

COMMANDS = (
    train,
    score,
    probe,
    convert,
    formats,
    import_teacher,
    import_predictions,
    export,
    metrics,
    compare,
    mi,
    report,
    demo,
    sweep,
    data,
    sandbox,
)
