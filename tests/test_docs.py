"""The docs/ contract stays true: docs/cli.md documents every verb and option the CLI registers,
every relative link in the docs points at a file that exists, and the dependency rules of
docs/architecture.md hold.

docs/ is the living contract (docs/README.md); these tests make adding an option, a verb or a
choice without documenting it, or moving a file a page links to, fail where it is done.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from evalsuite.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CLI_DOC = DOCS / "cli.md"

_VERB_HEADING = re.compile(r"^## `evalsuite ([a-z][a-z-]*)`\s*$", re.MULTILINE)
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _verb_parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (verbs,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(verbs.choices)


def _sections(text: str) -> dict[str, str]:
    """Each ``## `evalsuite VERB` `` section of cli.md, up to the next level-2 heading."""
    starts = list(_VERB_HEADING.finditer(text))
    sections = {}
    for match in starts:
        rest = text[match.end() :]
        following = re.search(r"^## ", rest, re.MULTILINE)
        sections[match.group(1)] = rest[: following.start()] if following else rest
    return sections


def _mentions(section: str, word: str) -> bool:
    """``word`` occurs in ``section`` as a whole token (``--seed`` does not match ``--seeds``)."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", section) is not None


def _documented_names(parser: argparse.ArgumentParser) -> list[str]:
    """What a verb's section must mention: every option string, every positional's metavar, and
    every choice an option accepts."""
    names: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if action.option_strings:
            names.extend(action.option_strings)
        else:
            names.append(str(action.metavar or action.dest))
        names.extend(str(choice) for choice in action.choices or ())
    return names


SECTIONS = _sections(CLI_DOC.read_text(encoding="utf-8"))
VERBS = _verb_parsers()


def test_cli_doc_has_one_section_per_registered_verb() -> None:
    assert sorted(SECTIONS) == sorted(VERBS), (
        "docs/cli.md sections and the CLI's verbs differ: "
        f"undocumented {sorted(set(VERBS) - set(SECTIONS))}, "
        f"documented but not registered {sorted(set(SECTIONS) - set(VERBS))}"
    )


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_cli_doc_section_names_every_option_and_choice(verb: str) -> None:
    section = SECTIONS.get(verb, "")
    missing = [name for name in _documented_names(VERBS[verb]) if not _mentions(section, name)]
    assert not missing, f"docs/cli.md, section `evalsuite {verb}`: not documented: {missing}"


def test_cli_doc_lists_exactly_the_verbs_with_json() -> None:
    """The --json convention names the verbs that have --json, no more and no fewer."""
    text = CLI_DOC.read_text(encoding="utf-8")
    listed = re.search(r"^- \*\*`--json`\*\* \(([^)]*)\)", text, re.MULTILINE)
    assert listed, "docs/cli.md: the --json convention should list its verbs in parentheses"
    documented = set(re.findall(r"`([a-z][a-z-]*)`", listed.group(1)))
    with_json = {
        verb
        for verb, parser in VERBS.items()
        if any("--json" in action.option_strings for action in parser._actions)
    }
    assert documented == with_json


def test_option_check_catches_an_undocumented_option() -> None:
    """The check above can fail: an option added to a parser but not to its section is found."""
    parser = argparse.ArgumentParser(prog="evalsuite metrics")
    parser.add_argument("run", metavar="RUN")
    parser.add_argument("--bins-per-decade", type=int, choices=(5, 10))
    section = SECTIONS["metrics"]
    missing = [name for name in _documented_names(parser) if not _mentions(section, name)]
    assert missing == ["--bins-per-decade", "5", "10"]


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def _relative_links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    targets = [m.group(1) for m in _LINK.finditer(text)]
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def test_docs_exist() -> None:
    for name in ("README.md", "architecture.md", "checkpoints.md", "cli.md", "runs.md"):
        assert (DOCS / name).is_file(), f"docs/{name} is missing"


def _broken_links(page: Path) -> list[str]:
    """Relative link targets of ``page`` (without their ``#fragment``) that do not exist."""
    return [
        target
        for target in _relative_links(page)
        if not (page.parent / target.split("#", 1)[0]).exists()
    ]


@pytest.mark.parametrize("page", _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_existing_files(page: Path) -> None:
    broken = _broken_links(page)
    assert not broken, f"{page.relative_to(ROOT)}: links to missing files: {broken}"


def test_link_check_finds_a_broken_link_and_skips_urls_anchors_and_code(tmp_path: Path) -> None:
    (tmp_path / "there.md").write_text("# there\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](there.md#there) [gone](missing.md) [web](https://example.org/x.md) [up](#top)\n"
        "```\n[in code](also-missing.md)\n```\n",
        encoding="utf-8",
    )
    assert _broken_links(page) == ["missing.md"]


# -- docs/architecture.md, "Direction of dependencies" ------------------------------------------

PACKAGE = ROOT / "evalsuite"
MODEL_STACK = {"torch", "transformers"}
DRAWING = {"matplotlib", "streamlit"}


def _imports(path: Path, root: Path = ROOT) -> set[str]:
    """Every module ``path`` imports, at any depth (function-level imports included), as an
    absolute name (relative imports resolved against ``path``'s package under ``root``)."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.add(".".join([*base, *([node.module] if node.module else [])]))
            elif node.module:
                found.add(node.module)
    return found


def _violations_under(paths: list[Path], forbidden: set[str], root: Path) -> list[str]:
    """``file: module`` for each import of a forbidden module or of anything inside one."""
    return sorted(
        f"{path.relative_to(root)}: {module}"
        for path in paths
        for module in _imports(path, root)
        if any(module == bad or module.startswith(bad + ".") for bad in forbidden)
    )


def _violations(paths: list[Path], forbidden: set[str]) -> list[str]:
    return _violations_under(paths, forbidden, ROOT)


def _modules(*packages: str) -> list[Path]:
    return sorted(path for name in packages for path in (PACKAGE / name).rglob("*.py"))


def test_evalsuite_imports_trainers_only_in_the_verbs_that_dispatch_to_it() -> None:
    dispatchers = {
        PACKAGE / "commands" / name for name in ("train.py", "demo.py", "sweep.py", "probe.py")
    }
    library = [p for p in sorted(PACKAGE.rglob("*.py")) if p not in dispatchers]
    assert not _violations(library, {"trainers"})


def test_metrics_need_no_model_no_drawing_and_no_other_layer() -> None:
    users = ("analysis", "scoring", "report", "commands", "cli", "data")
    others = {f"evalsuite.{name}" for name in users}
    assert not _violations(_modules("metrics"), MODEL_STACK | DRAWING | {"trainers"} | others)


def test_analysis_tasks_and_data_never_load_a_model() -> None:
    readers = ("runs", "analysis", "report", "tasks", "data")
    assert not _violations(_modules(*readers), MODEL_STACK)


def test_architecture_names_every_package_and_top_level_module() -> None:
    """A new package or top-level module of evalsuite gets its row in docs/architecture.md."""
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    parts = [p.parent for p in PACKAGE.glob("*/__init__.py")]
    parts += [p for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    missing = sorted(f"evalsuite/{p.name}" for p in parts if f"`evalsuite/{p.name}" not in text)
    assert not missing, f"docs/architecture.md does not describe {missing}"


def test_dependency_check_sees_nested_and_relative_imports(tmp_path: Path) -> None:
    """The checks above can fail: a function-level import and a relative one are both seen."""
    source = "def f():\n    import torch.nn\n    from . import rates\n    from ..scoring import x\n"
    fake = tmp_path / "evalsuite" / "metrics" / "probe.py"
    fake.parent.mkdir(parents=True)
    fake.write_text(source, encoding="utf-8")
    assert _imports(fake, tmp_path) == {"torch.nn", "evalsuite.metrics", "evalsuite.scoring"}
    found = _violations_under([fake], {"torch"}, tmp_path)
    assert found == ["evalsuite/metrics/probe.py: torch.nn"]


# -- docs/README.md: the repo's docs are the truth ------------------------------------------------

_STARTING_DESIGN = "DESIGN" + ".md"  # spelled in two parts so this file does not mention it


def test_nothing_points_at_the_starting_design_but_the_docs_index() -> None:
    """Code, tests and README point at docs/; only docs/README.md names the shared starting
    design, to say it is history (a regression test: seventeen docstrings pointed at it)."""
    sources = [ROOT / "README.md", ROOT / "app.py", *sorted(DOCS.glob("*.md"))]
    for folder in ("evalsuite", "trainers", "tests", "bench"):
        sources.extend(sorted((ROOT / folder).rglob("*.py")))
    mentions = [
        str(path.relative_to(ROOT))
        for path in sources
        if path != DOCS / "README.md" and _STARTING_DESIGN in path.read_text(encoding="utf-8")
    ]
    assert not mentions, f"point these at docs/ instead of {_STARTING_DESIGN}: {mentions}"
