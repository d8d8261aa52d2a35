"""estimate_run_mi: the one MI pipeline `evalsuite mi`, the report and the demo share."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evalsuite.analysis.mutual_information import (
    MIN_PAIRS,
    KnownTruthChecks,
    MissingRepresentation,
    RunMIConfig,
    TooFewPairs,
    estimate_run_mi,
)
from evalsuite.errors import DataError, UsageError
from evalsuite.metrics.mi_bootstrap import mutual_information_with_interval
from evalsuite.metrics.mutual_info import MIConfig
from evalsuite.runs import read_run
from tests.metrics.runs import record, write_run


def _run(tmp_path: Path, n: int, *, nan_rows: int = 0, labels: bool = False) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3))
    y = x + 0.5 * rng.normal(size=(n, 3))
    y[:nan_rows] = np.nan
    classes = ["yes", "no"]
    extra = {"label_probs": dict.fromkeys(classes, 0.5)} if labels else {}
    records = [record(i, gold=classes[i % 2], answer=classes[i % 2], **extra) for i in range(n)]
    reps = {"ids": np.array([str(i) for i in range(n)]), "label_repr": x, "rationale_repr": y}
    return write_run(tmp_path / "r", records, representations=reps)


def test_leaves_out_missing_rows_and_equals_the_estimator_on_the_rest(tmp_path: Path) -> None:
    run = read_run(_run(tmp_path, 40, nan_rows=4))
    result = estimate_run_mi(run, RunMIConfig())
    assert (result.n, result.n_dropped) == (36, 4)
    reps = run.representations()
    assert reps is not None
    assert result.ksg is not None and result.ksg.chosen
    direct = mutual_information_with_interval(
        "ksg",
        reps.array("label_repr")[4:],
        reps.array("rationale_repr")[4:],
        config=MIConfig(ksg_components=result.ksg.components),
        rng=0,
    )
    assert result.estimates == [direct]
    assert result.as_dict()["estimates"][0]["value"] == direct.value


def test_ksg_components_are_those_of_the_smallest_known_truth_bias(tmp_path: Path) -> None:
    run = read_run(_run(tmp_path, 60))
    result = estimate_run_mi(run, RunMIConfig(n_resamples=5))
    assert result.ksg is not None
    mean_bias: dict[int, list[float]] = {}
    for check in result.ksg.candidates:
        mean_bias.setdefault(check.settings["ksg_components"], []).append(abs(check.bias))
    assert set(mean_bias) == {2}  # the only grid value that fits 3 dimensions
    assert result.ksg.components == 2
    # the checks reported beside the estimate are those at the components used
    assert {c.settings["ksg_components"] for c in result.bias_checks} == {2}
    given = estimate_run_mi(run, RunMIConfig(n_resamples=5, ksg_components=1))
    assert given.ksg is not None and (given.ksg.components, given.ksg.chosen) == (1, False)
    assert given.estimates[0].details["components"] == [1, 1]


def test_the_minimum_number_of_pairs_is_one_rule(tmp_path: Path) -> None:
    run = read_run(_run(tmp_path, MIN_PAIRS + 2, nan_rows=3))
    with pytest.raises(TooFewPairs, match=r"9 complete examples \(3 without a finite"):
        estimate_run_mi(run, RunMIConfig())


def test_the_probe_is_skipped_without_a_closed_label_set(tmp_path: Path) -> None:
    result = estimate_run_mi(read_run(_run(tmp_path, 40)), RunMIConfig(estimators=("probe",)))
    assert result.estimates == []
    assert "closed label set" in result.skipped["probe"]


def test_a_missing_array_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(MissingRepresentation, match="has no array 'other'; it has label_repr"):
        estimate_run_mi(read_run(_run(tmp_path, 20)), RunMIConfig(y="other"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"estimators": ("mine",)}, "unknown estimator 'mine'; choose from ksg"),
        ({"label_field": "prediction"}, "unknown probe label field 'prediction'"),
        ({"n_seeds": 0}, "--n-seeds: must be a positive integer, got 0"),
        ({"steps": 0}, "--steps: must be a positive integer, got 0"),
    ],
)
def test_config_errors(options: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        RunMIConfig(**options)


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["0", "1", "1", *map(str, range(3, 20))], "id '1' occurs twice in 'ids'"),
        (["x", *map(str, range(1, 20))], "1 ids match no record of the run, e.g. 'x'"),
    ],
    ids=["duplicate", "no-record"],
)
def test_ids_that_do_not_belong_to_the_run_are_refused(
    tmp_path: Path, cli, ids: list[str], message: str
) -> None:
    # Regression: ids of representations.npz were not checked against the run's records, so
    # rows of another run (or one record's rows repeated) were estimated on.
    path = _run(tmp_path, 20)
    arrays = dict(np.load(path / "representations.npz"))
    np.savez(path / "representations.npz", **{**arrays, "ids": np.array(ids)})
    with pytest.raises(DataError, match=message):
        estimate_run_mi(read_run(path), RunMIConfig())
    result = cli("mi", path)
    assert result.code == 2 and result.err.count("\n") == 1 and message in result.err


def test_runs_of_one_size_share_their_known_truth_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: a report simulated the same known-truth checks again for every run of the
    same n and widths (every demo student), although a check never sees the run's data."""
    import evalsuite.metrics.mi_truth as mi_truth

    made: list[str] = []
    real = mi_truth.known_truth_bias

    def counted(name: str, **options: object) -> object:
        made.append(name)
        return real(name, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(mi_truth, "known_truth_bias", counted)
    config = RunMIConfig(estimators=("ksg", "probe"), n_resamples=5, check_replicates=1)
    first = read_run(_run(tmp_path / "a", 40, labels=True))
    second = read_run(_run(tmp_path / "b", 40, labels=True))
    alone = [estimate_run_mi(run, config) for run in (first, second)]
    n_alone = len(made)
    assert n_alone and n_alone % 2 == 0  # each run made the same checks
    made.clear()
    checks = KnownTruthChecks()
    shared = [estimate_run_mi(run, config, checks=checks) for run in (first, second)]
    assert len(made) == n_alone // 2  # the second run made none
    # a shared check is the one the run makes alone (seeded), so nothing else changes
    for a, s in zip(alone, shared, strict=True):
        assert a.as_dict() == s.as_dict()
