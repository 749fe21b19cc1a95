"""The package's shape: imports run one way, from the workflow-facing modules down to the statistics."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "deepmodules"
# The method's stages in the order they run; a module may import its own stage and those below it.
# interpret and modules share a rank (encodability reads reverse training's phenotype labels), so the
# package-level graph is also required to be free of cycles.
RANKS = {
    "errors": 0,
    "stats": 0,
    "layout": 0,
    "data": 1,
    "simulate": 1,
    "model": 2,
    "interpret": 3,
    "modules": 3,
    "validate": 4,
    "figures": 5,
    "config": 6,
    "bundle": 6,
    "workflow": 6,
}
LONG = 400  # lines; a longer module says why at its top


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_imports(path: Path) -> set[str]:
    """The deepmodules modules that a file imports (``from deepmodules.x import y`` counts y when it
    is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("deepmodules")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("deepmodules"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {name for name in found if name in MODULES and name != "deepmodules"}


def stage(module: str) -> str | None:
    """The stage (first component below deepmodules) of a module; None for the package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: package_imports(path) - {name} for name, path in MODULES.items()}


def test_every_stage_has_a_rank():
    assert {stage(m) for m in MODULES} - {None} == set(RANKS)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if stage(m)))
def test_imports_run_down_the_stages(module):
    upward = [
        dep for dep in GRAPH[module] if stage(dep) and RANKS[stage(dep)] > RANKS[stage(module)]
    ]
    assert not upward, f"{module} imports from a later stage: {upward}"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` (as a list of nodes), or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles_between_modules():
    assert find_cycle(GRAPH) is None


def test_no_import_cycles_between_stages():
    stages = {}
    for module, deps in GRAPH.items():
        if stage(module):
            stages.setdefault(stage(module), set()).update(
                stage(d) for d in deps if stage(d) and stage(d) != stage(module)
            )
    assert find_cycle(stages) is None


def test_the_cycle_check_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_layering_check_sees_an_upward_import(tmp_path):
    path = tmp_path / "example.py"
    path.write_text("from deepmodules.figures.style import save\nfrom deepmodules import layout\n")
    assert package_imports(path) == {"deepmodules.figures.style", "deepmodules.layout"}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_long_modules_say_why(module):
    text = MODULES[module].read_text()
    if text.count("\n") > LONG:
        head = ast.get_docstring(ast.parse(text)) or ""
        assert "longer than" in head.lower(), f"{module} has over {LONG} lines and no reason"


# Every rule but train computes with the numpy layers of network.npz and fits its reverse networks in
# numpy: the modules their scripts import must not load Keras or TensorFlow (seconds per job).
SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"


def script_imports(script: Path) -> set[str]:
    """The package modules a rule's script imports."""
    found = set()
    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("deepmodules"):
            found.add(node.module)
    return found


KERAS_FREE = sorted(
    set().union(*(script_imports(s) for s in SCRIPTS.glob("*.py") if s.name != "train.py"))
)


def test_only_training_uses_the_tensorflow_environment():
    rules = Path(__file__).resolve().parents[1] / "workflow" / "rules"
    users = sorted(r.name for r in rules.glob("*.smk") if "tensorflow.yaml" in r.read_text())
    assert users == ["train.smk"]
    assert "keras" not in (rules.parents[1] / "envs" / "analysis.yaml").read_text()
    assert "deepmodules.modules.reverse_training" in KERAS_FREE  # which imports the reverse fits


@pytest.mark.parametrize("module", KERAS_FREE)
def test_downstream_modules_load_without_keras(module):
    code = (
        f"import sys, {module}; "
        "print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", f"importing {module} loads {done.stdout.strip()}"


def test_rule_files_take_every_results_path_from_the_layout():
    """No rule file spells a path under results/: every table, check and figure comes from
    deepmodules.layout, which the package reads too."""
    literal = re.compile(r"""f?["']results/""")
    found = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted((PACKAGE.parents[1] / "workflow" / "rules").glob("*.smk"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if literal.search(line)
    ]
    assert not found, "\n".join(found)
    assert literal.search('    table="results/{dataset}/silhouette.tsv",')  # the check sees one


def own_logic_lines(path: Path) -> int:
    """Non-blank lines of a script's definitions and assignments (imports and the module docstring
    aside): what it does besides calling the package."""
    text = path.read_text().splitlines()
    lines = set()
    for node in ast.parse("\n".join(text)).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Assign):
            lines.update(range(node.lineno, node.end_lineno + 1))
    return sum(1 for number in lines if text[number - 1].strip())


def test_every_rule_script_is_thin():
    """A rule script reads its inputs, makes its call into the package and writes its outputs: at
    most 40 lines of its own."""
    long = {p.name: own_logic_lines(p) for p in SCRIPTS.glob("*.py") if own_logic_lines(p) > 40}
    assert not long, long
    assert own_logic_lines(SCRIPTS / "train.py") > 5  # the count sees a script's main()


def test_the_architecture_document_lists_every_module_and_only_modules():
    """docs/architecture.md names every package module (`name`), and every name it describes as a
    module (`name`: …) is one."""
    text = (PACKAGE.parents[1] / "docs" / "architecture.md").read_text()
    modules = [p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"]
    unlisted = [str(p.relative_to(PACKAGE)) for p in modules if f"`{p.stem}`" not in text]
    assert not unlisted, unlisted
    described = set(re.findall(r"`(\w+)`:", text))
    assert described <= {p.stem for p in modules}, described - {p.stem for p in modules}


def test_tests_are_laid_out_like_the_package():
    """tests/<stage>/ holds the tests of package stage <stage>; tests/workflow/ runs Snakemake; only
    the tests of package-wide modules (config, layout, bundle, the architecture) sit at the top."""
    tests = PACKAGE.parents[1] / "tests"
    folders = {path.parent.name for path in tests.rglob("test_*.py") if path.parent != tests}
    assert folders <= set(RANKS) and "workflow" in folders
    top = {path.stem for path in tests.glob("test_*.py")}
    assert top == {"test_architecture", "test_bundle", "test_config", "test_layout"}
