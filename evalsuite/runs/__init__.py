"""The run directory contract (docs/runs.md): typed manifest, records and representations, the
one reader that validates them and the one resumable writer."""

from evalsuite.runs.layout import MANIFEST, METRICS, RECORDS, REPRESENTATIONS
from evalsuite.runs.manifest import IDENTITY_KEYS, SCHEMA_VERSION, Manifest
from evalsuite.runs.reader import Run, read_manifest, read_records, read_run
from evalsuite.runs.records import Record, as_records
from evalsuite.runs.representations import Representations, read_representations
from evalsuite.runs.writer import RunWriter

__all__ = [
    "IDENTITY_KEYS",
    "MANIFEST",
    "METRICS",
    "RECORDS",
    "REPRESENTATIONS",
    "SCHEMA_VERSION",
    "Manifest",
    "Record",
    "Representations",
    "Run",
    "RunWriter",
    "as_records",
    "read_manifest",
    "read_records",
    "read_representations",
    "read_run",
]
