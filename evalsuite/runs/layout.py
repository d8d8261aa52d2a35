"""The files of a run directory (docs/runs.md).

```
runs/<name>/manifest.json          how the run was made; status "partial" until finished
runs/<name>/records.jsonl          one record per example, appended and flushed as produced
runs/<name>/representations.npz    optional: ids, label_repr, rationale_repr, ...
runs/<name>/metrics.json           written when the run completes
```
"""

from __future__ import annotations

__all__ = ["MANIFEST", "METRICS", "RECORDS", "REPRESENTATIONS"]

MANIFEST = "manifest.json"
RECORDS = "records.jsonl"
REPRESENTATIONS = "representations.npz"
METRICS = "metrics.json"
