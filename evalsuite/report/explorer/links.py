"""Links into the explorer: ``?run=NAME&id=ID`` opens one example, ``?a=RUN&b=RUN&id=ID`` compare
mode on one pair. The report's examples.md writes them; the page reads them back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from evalsuite.report.config import DEFAULT_EXPLORER_URL

__all__ = ["DEFAULT_EXPLORER_URL", "DeepLink", "compare_link", "example_link", "parse_deep_link"]


def _link(base_url: str, params: Mapping[str, str]) -> str:
    return f"{base_url.rstrip('/')}/?{urlencode(params)}"


def example_link(base_url: str, run: str, example_id: str) -> str:
    """The explorer opened on one example of one run.

    >>> example_link("http://localhost:8501/", "dss seed0", "test-281")
    'http://localhost:8501/?run=dss+seed0&id=test-281'
    """
    return _link(base_url, {"run": run, "id": example_id})


def compare_link(base_url: str, run_a: str, run_b: str, example_id: str) -> str:
    """The explorer in compare mode (A against B) on one shared example.

    >>> compare_link("http://localhost:8501", "dss", "mi", "test-7")
    'http://localhost:8501/?a=dss&b=mi&id=test-7'
    """
    return _link(base_url, {"a": run_a, "b": run_b, "id": example_id})


@dataclass(frozen=True)
class DeepLink:
    """What a link asks the page to open: run A, run B (compare mode) and an example id."""

    run: str | None = None
    compare_with: str | None = None
    example_id: str | None = None


def parse_deep_link(params: Mapping[str, str]) -> DeepLink:
    """Read a link's query parameters (``st.query_params``); absent or empty ones are None.

    ``a`` and ``run`` both name the first run (``a`` wins); ``b`` turns on compare mode.

    >>> parse_deep_link({"a": "dss", "b": "mi", "id": "t-1"})
    DeepLink(run='dss', compare_with='mi', example_id='t-1')
    >>> parse_deep_link({})
    DeepLink(run=None, compare_with=None, example_id=None)
    """

    def get(key: str) -> str | None:
        value = params.get(key)
        return value or None

    return DeepLink(run=get("a") or get("run"), compare_with=get("b"), example_id=get("id"))
