"""The import layering of docs/architecture.md ("Layers (imports point down only)"), checked on
the source: every module of src/tunesmith is parsed (no import runs) and each import it makes
must point to its own layer or a layer below.

What counts as an import:
- ``import x`` and ``from x import y`` anywhere: at module level, inside functions (the lazy
  imports that keep ``import tunesmith`` fast are still dependencies once called) and under
  ``if TYPE_CHECKING:``. Type-checking imports count: an annotation naming a class of a higher
  layer is a dependency of the interface, and the packages' lazy export tables (PEP 562
  ``__getattr__``) are mirrored by ``TYPE_CHECKING`` imports, which is how this test sees what
  they load. A lower layer that must name a higher type can take a ``Protocol`` of its own.
- the modules a package's lazy export table names (``lazy_exports(__name__, {name: module})``,
  tunesmith._lazy): each is imported when its name is first used.
- ``importlib.import_module("tunesmith....")`` with a literal name. A name computed at run time
  (``f"{__name__}.{module}"`` in a package's own ``__getattr__`` excepted) is allowed in the
  fronts; elsewhere its site is listed in DYNAMIC_IMPORTS with the reason.

The table below is this test's copy of the layers; docs/architecture.md is the description to
keep it in step with. A module that is in no layer fails the test: place it in both.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "tunesmith"

#: top to bottom (see docs/architecture.md, "Layers"); a module may import modules of its own
#: layer and of the layers below. A name covers the module and, for a package, its submodules;
#: "tunesmith" alone is the package's __init__ (its lazy exports reach every layer).
LAYERS: list[tuple[str, list[str]]] = [
    # test support: contract suites that drive tuners, backends and stores; nothing in the
    # library may import it
    ("testing", ["tunesmith.testing"]),
    (
        "fronts",
        [
            "tunesmith",
            "tunesmith.cli",
            "tunesmith.experiments",
            "tunesmith.viz",
            "tunesmith.studies",  # load_study(): the results API on the store
            "tunesmith.compat",  # other systems' APIs, translated to the native classes
            "tunesmith.dashboard",  # the web dashboard: its server, JSON API and page
        ],
    ),
    (
        "loop",
        [
            "tunesmith.tuner",
            "tunesmith.stopping",
            "tunesmith.termination",  # automatic termination: regret bound, improvement
            "tunesmith.callbacks",
            "tunesmith.asktell",
            "tunesmith.resume",
            "tunesmith.runstate",
            "tunesmith.sharing",  # several drivers on one study (Tuner(shared=True))
            "tunesmith.interrupts",
            "tunesmith.exploits",  # PBT's exploits: the donor's checkpoint copied, crash-safe
            "tunesmith.tuner_args",  # the checks on Tuner's arguments
            "tunesmith.retrain",  # one given config run to its end through the tuner
        ],
    ),
    ("backends", ["tunesmith.backends"]),
    ("schedulers", ["tunesmith.schedulers"]),
    ("searchers", ["tunesmith.searchers"]),
    ("store", ["tunesmith.store"]),
    (
        "foundations",
        [
            "tunesmith.space",
            "tunesmith.domains",
            "tunesmith.trial",
            "tunesmith.results",  # TuningResult: trials and results as data
            "tunesmith.ranking",  # which result of a trial counts as its value
            "tunesmith.randomness",  # numpy's default random stream, numpy imported lazily
            "tunesmith.reporting",
            "tunesmith.spec",
            "tunesmith.logs",
            "tunesmith.bench",
            "tunesmith.multiobjective",  # indicators: hypervolume, non-dominated sorting
            "tunesmith._lazy",  # the packages' lazy exports (PEP 562)
        ],
    ),
]

#: pairs of layers where the higher one must not import the lower one although it is below:
#: schedulers and searchers are ask/tell objects usable without the tuner, and "a searcher never
#: knows about processes, time or storage" (docs/architecture.md, Core contracts)
SEPARATE: dict[tuple[str, str], str] = {
    ("schedulers", "store"): "schedulers never know about storage (the tuner persists)",
    ("searchers", "store"): "a searcher never knows about storage",
}

#: run-time computed imports outside the fronts: (module, function) -> why it is allowed
DYNAMIC_IMPORTS: dict[tuple[str, str], str] = {
    # Layering violation kept on purpose: specs name classes by a registered name, and the
    # schedulers and searchers register when their class statement runs; the two packages
    # load their modules lazily, so looking a name up must import them first. Foundations
    # (spec) reaching up to schedulers/searchers by name, at lookup time only.
    ("tunesmith.spec", "_load_builtins"): "registry lookup loads the built-in classes",
    # an older stored spec names its class as "module:Class": the module is user data
    ("tunesmith.spec", "class_of"): "imports the module a stored spec names",
    # imports what a package's export table names; this test reads those tables
    ("tunesmith._lazy", "__getattr__"): "the packages' lazy exports",
}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    how: str  # "import", "type-checking import", "lazy import", "lazy export", "import_module"

    def where(self) -> str:
        return f"{module_path(self.importer)}:{self.line}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_path(name: str) -> str:
    base = SRC.joinpath(*name.split("."))
    path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    return str(path.relative_to(SRC.parent))


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int | None:
    """Index in LAYERS (0 is the top) of the longest name of the table covering ``module``."""
    best, found = -1, None
    for index, (_, names) in enumerate(LAYERS):
        for name in names:
            covers = module == name or (name != "tunesmith" and module.startswith(name + "."))
            if covers and len(name) > best:
                best, found = len(name), index
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.imports: list[Import] = []
        self.dynamic: list[tuple[str, int]] = []  # (function, line)
        self._functions: list[str] = []
        self._type_checking = 0
        self._dicts: dict[str, ast.Dict] = {}  # module-level NAME = {...}

    def _how(self) -> str:
        if self._type_checking:
            return "type-checking import"
        return "lazy import" if self._functions else "import"

    def _add(self, imported: str, node: ast.AST, how: str | None = None) -> None:
        if imported == "tunesmith" or imported.startswith("tunesmith."):
            self.imports.append(Import(self.module, imported, node.lineno, how or self._how()))

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._functions.append(node.name)
        self.generic_visit(node)
        self._functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self._type_checking += 1
            for child in node.body:
                self.visit(child)
            self._type_checking -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - node.level + 1]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        for alias in node.names:
            submodule = f"{source}.{alias.name}"  # `from tunesmith import space` imports a module
            self._add(submodule if submodule in MODULES else source, node)

    def _resolve(self, name: str) -> str:
        """``name`` as importlib.import_module(name, package) reads it."""
        level = len(name) - len(name.lstrip("."))
        if not level:
            return name
        base = self.package.split(".")
        return ".".join([*base[: len(base) - level + 1], name[level:]])

    def visit_Module(self, node: ast.Module) -> None:
        for statement in node.body:
            target = value = None
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
            elif isinstance(statement, ast.AnnAssign):
                target, value = statement.target, statement.value
            if isinstance(target, ast.Name) and isinstance(value, ast.Dict):
                self._dicts[target.id] = value
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "lazy_exports" and len(node.args) == 2:
            table = node.args[1]
            table = self._dicts.get(table.id) if isinstance(table, ast.Name) else table
            assert isinstance(table, ast.Dict), (
                f"{module_path(self.module)}:{node.lineno}: give lazy_exports a dict literal "
                "(or the name of a module-level one) so that this test sees what it imports"
            )
            for value in table.values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    self._add(self._resolve(value.value), value, "lazy export")
        if name == "import_module" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                self._add(arg.value, node, "import_module")
            elif not _own_package(arg):
                self.dynamic.append((self._functions[-1] if self._functions else "", node.lineno))
        self.generic_visit(node)


def _own_package(arg: ast.expr) -> bool:
    """``f"{__name__}.{...}"``: a package importing one of its own submodules."""
    return (
        isinstance(arg, ast.JoinedStr)
        and bool(arg.values)
        and isinstance(arg.values[0], ast.FormattedValue)
        and isinstance(arg.values[0].value, ast.Name)
        and arg.values[0].value.id == "__name__"
    )


def _collect() -> list[_Collector]:
    collectors = []
    for name, path in MODULES.items():
        collector = _Collector(name, path.name == "__init__.py")
        collector.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        collectors.append(collector)
    return collectors


COLLECTED = _collect()


def test_every_module_has_a_layer():
    missing = [m for m in MODULES if layer_of(m) is None]
    assert not missing, (
        f"modules in no layer: {missing}; add each to LAYERS in {__file__} and to the layers "
        "of docs/architecture.md"
    )


def allowed(layer: int) -> list[str]:
    """The layers a module of ``layer`` may import: its own and those below, but SEPARATE ones."""
    name = LAYERS[layer][0]
    return [n for n, _ in LAYERS[layer:] if (name, n) not in SEPARATE]


def test_imports_point_down_only():
    problems = []
    for collector in COLLECTED:
        for imp in collector.imports:
            here, there = layer_of(imp.importer), layer_of(imp.imported)
            if here is None or there is None:
                continue  # test_every_module_has_a_layer says so
            if LAYERS[there][0] in allowed(here):
                continue
            name = LAYERS[here][0]
            rule = SEPARATE.get((name, LAYERS[there][0]), "imports point down only")
            problems.append(
                f"{imp.where()}: {imp.importer} ({name}) has a {imp.how} of {imp.imported} "
                f"({LAYERS[there][0]}); the rule: {rule}, a {name} module imports only "
                f"{', '.join(allowed(here))}"
            )
    assert not problems, "imports must point down (docs/architecture.md):\n" + "\n".join(problems)


def test_run_time_imports_below_the_fronts_are_listed():
    fronts = layer_of("tunesmith")
    problems, used = [], set()
    for collector in COLLECTED:
        here = layer_of(collector.module)
        if here is None or here <= fronts:
            continue
        for function, line in collector.dynamic:
            key = (collector.module, function)
            used.add(key)
            if key not in DYNAMIC_IMPORTS:
                problems.append(
                    f"{module_path(collector.module)}:{line}: {collector.module}"
                    f"{'.' + function if function else ''} imports a module named at run time; "
                    f"the rule: below the fronts, imports are static (or listed in "
                    "DYNAMIC_IMPORTS with the reason), so that this test sees them"
                )
    assert not problems, "\n".join(problems)
    assert not set(DYNAMIC_IMPORTS) - used, f"stale DYNAMIC_IMPORTS: {set(DYNAMIC_IMPORTS) - used}"


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("tunesmith", "fronts"),
        ("tunesmith.cli.__main__", "fronts"),
        ("tunesmith.store.owner", "store"),
        ("tunesmith.schedulers._rung", "schedulers"),
        ("tunesmith.testing.crash", "testing"),
        ("tunesmith.trial", "foundations"),
    ],
)
def test_the_table_places_modules_by_their_longest_name(module, layer):
    assert LAYERS[layer_of(module)][0] == layer


def test_the_collector_sees_every_kind_of_import():
    source = (
        "from __future__ import annotations\n"
        "import importlib\n"
        "from typing import TYPE_CHECKING\n"
        "from . import rungs\n"
        "from .base import Scheduler\n"
        "if TYPE_CHECKING:\n"
        "    from tunesmith.tuner import Tuner\n"
        "def f():\n"
        "    import tunesmith.store\n"
        "    importlib.import_module('tunesmith.backends')\n"
        "    importlib.import_module(name)\n"
        "EXPORTS = {'RandomSearch': '.fifo', 'Tuner': 'tunesmith.tuner'}\n"
        "__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)\n"
    )
    collector = _Collector("tunesmith.schedulers.fifo", is_package=False)
    collector.visit(ast.parse(source))
    assert [(i.imported, i.how) for i in collector.imports] == [
        ("tunesmith.schedulers.rungs", "import"),
        ("tunesmith.schedulers.base", "import"),
        ("tunesmith.tuner", "type-checking import"),
        ("tunesmith.store", "lazy import"),
        ("tunesmith.backends", "import_module"),
        ("tunesmith.schedulers.fifo", "lazy export"),
        ("tunesmith.tuner", "lazy export"),
    ]
    assert collector.dynamic == [("f", 11)]
