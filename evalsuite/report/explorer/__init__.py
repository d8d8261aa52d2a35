"""What the Streamlit explorer (``app.py``) shows, as pure functions on runs and their records.

One module per idea, so the page only parses, calls and draws, and every piece is tested
without a browser:

- :mod:`.loading`: the page's arguments, the runs under ``--runs``, one run loaded and summarised;
- :mod:`.table`: the whole run as a table, filtered, sorted and paged, and its CSV;
- :mod:`.overview`: headline numbers, the reliability diagram and accuracy-coverage curve,
  the examples of one confidence bin;
- :mod:`.detail`: one example: the word diff against the teacher, its reasoning paths, its
  Socratic steps;
- :mod:`.interventions`: one probe-run example's rationale and every intervention on it, side
  by side;
- :mod:`.simulation`: one LAS probe-run example's answer and the simulator's predictions of it,
  and whether it is leaked;
- :mod:`.compare`: the disagreement matrix of two runs (paired by
  :mod:`evalsuite.report.alignment`);
- :mod:`.links`: ``?run=&id=`` and ``?a=&b=&id=`` links, written by the report, read by the page.
"""

from evalsuite.report.alignment import COMPARE_VIEWS, Alignment, align_runs, compare_rows
from evalsuite.report.explorer.compare import (
    MATRIX_CELLS,
    DisagreementMatrix,
    cell_rows,
    disagreement_matrix,
)
from evalsuite.report.explorer.detail import (
    DiffSpan,
    PathBlock,
    WordDiff,
    path_blocks,
    socratic_frame,
    word_diff,
)
from evalsuite.report.explorer.interventions import (
    INTERVENTION_COLUMNS,
    OWN_RATIONALE,
    InterventionTable,
    intervention_table,
)
from evalsuite.report.explorer.links import (
    DEFAULT_EXPLORER_URL,
    DeepLink,
    compare_link,
    example_link,
    parse_deep_link,
)
from evalsuite.report.explorer.loading import (
    RUNS_ENV,
    USAGE,
    AppConfig,
    LoadedRun,
    RunEntry,
    find_run,
    list_runs,
    load_run,
    parse_app_args,
    records_mtime_ns,
    stored_summary,
    task_same_answer,
)
from evalsuite.report.explorer.overview import (
    RELIABILITY_BINS,
    OverviewItem,
    bin_choices,
    bin_label,
    bin_rows,
    confidence_pairs,
    coverage_png,
    overview_items,
    reliability_png,
    reliability_table,
)
from evalsuite.report.explorer.simulation import (
    SIMULATION_COLUMNS,
    STUDENT_ROW,
    SimulationTable,
    simulation_table,
)
from evalsuite.report.explorer.table import (
    PREVIEW_CHARS,
    RECORD_FIELDS,
    SORT_ORDERS,
    TABLE_COLUMNS,
    Page,
    RecordFilter,
    SortOrder,
    extraction_failed,
    filter_records,
    find_example,
    gold_value,
    label_probs_frame,
    page_of,
    paginate,
    preview,
    records_csv,
    records_frame,
    sort_records,
    table_rows,
)

__all__ = [
    "COMPARE_VIEWS",
    "DEFAULT_EXPLORER_URL",
    "INTERVENTION_COLUMNS",
    "MATRIX_CELLS",
    "OWN_RATIONALE",
    "PREVIEW_CHARS",
    "RECORD_FIELDS",
    "RELIABILITY_BINS",
    "RUNS_ENV",
    "SIMULATION_COLUMNS",
    "SORT_ORDERS",
    "STUDENT_ROW",
    "TABLE_COLUMNS",
    "USAGE",
    "Alignment",
    "AppConfig",
    "DeepLink",
    "DiffSpan",
    "DisagreementMatrix",
    "InterventionTable",
    "LoadedRun",
    "OverviewItem",
    "Page",
    "PathBlock",
    "RecordFilter",
    "RunEntry",
    "SimulationTable",
    "SortOrder",
    "WordDiff",
    "align_runs",
    "bin_choices",
    "bin_label",
    "bin_rows",
    "cell_rows",
    "compare_link",
    "compare_rows",
    "confidence_pairs",
    "coverage_png",
    "disagreement_matrix",
    "example_link",
    "extraction_failed",
    "filter_records",
    "find_example",
    "find_run",
    "gold_value",
    "intervention_table",
    "label_probs_frame",
    "list_runs",
    "load_run",
    "overview_items",
    "page_of",
    "paginate",
    "parse_app_args",
    "parse_deep_link",
    "path_blocks",
    "preview",
    "records_csv",
    "records_frame",
    "records_mtime_ns",
    "reliability_png",
    "reliability_table",
    "simulation_table",
    "socratic_frame",
    "sort_records",
    "stored_summary",
    "table_rows",
    "task_same_answer",
    "word_diff",
]
