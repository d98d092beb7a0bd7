"""Every fenced code block of README.md and docs/*.md runs, so a broken snippet fails the tests.

How a page runs (one test per page):

- Its ``python`` blocks run in order in one namespace, in a fresh folder, as a reader who types
  the page into a script would run them: in a subprocess whose ``__main__`` is that script
  (written out block by block, so LocalBackend's workers import what the reader has typed so
  far, and a page that starts trials needs ``if __name__ == "__main__":`` as a real script
  does). Tracebacks point at the page's own lines.
- Then its shell blocks run in the same folder, with the venv's ``tunesmith`` and ``python``
  first on PATH: a ``bash`` block as one script (``set -euo pipefail``); in a ``console`` block
  every ``$ command`` runs, and must fail (exit code 2) exactly when the output shown for it
  starts with ``Error:``.
- A block that cannot run here (``make``, ``pip install``, a PostgreSQL server) is preceded by
  ``<!-- not run: the reason -->``. A ``python`` block preceded by
  ``<!-- signature: tunesmith.X -->`` is a call signature, not code: it is checked against the
  signature of ``tunesmith.X`` (names, order, kinds and defaults of the parameters).
- ``text`` blocks (diagrams, output) are not code and must not look like it; a block without a
  language, or with another one, fails.

Plugins such as Sybil or pytest-markdown-docs run snippets inside the pytest process, where a
function defined by a snippet cannot be sent to LocalBackend's worker processes, and do not run
shell blocks after a page's Python blocks; markdown-it-py (a dependency of rich) parses the
fences here.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

PYTHON = {"python", "py"}
BASH = {"bash", "sh", "shell"}
CONSOLE = {"console"}
TEXT = {"text"}
#: at most this many blocks may be opted out in all pages together (keep them few)
MAX_NOT_RUN = 6
PAGE_TIMEOUT = 240.0

_NOT_RUN = re.compile(r"^<!--\s*not run:\s*(?P<reason>\S.*?)\s*-->\s*$", re.DOTALL)
_SIGNATURE = re.compile(r"^<!--\s*signature:\s*(?P<target>[\w.]+)\s*-->\s*$")
_LOOKS_LIKE_CODE = re.compile(r"^\s*(\$ |tunesmith |python |import |from \S+ import )", re.M)


@dataclass
class Block:
    page: Path
    line: int  # 1-based line of the block's first line of code
    lang: str
    code: str
    not_run: str | None = None  # the reason given in <!-- not run: ... -->
    signature: str | None = None  # dotted name given in <!-- signature: ... -->

    @property
    def where(self) -> str:
        page = self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page
        return f"{page}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    tokens = MarkdownIt("commonmark").parse(page.read_text())
    blocks = []
    for i, token in enumerate(tokens):
        if token.type not in ("fence", "code_block"):
            continue
        assert token.map is not None
        info = token.info.split()
        block = Block(
            page=page,
            line=token.map[0] + (2 if token.type == "fence" else 1),
            lang=info[0].lower() if info else "",
            code=token.content,
        )
        before = tokens[i - 1] if i > 0 else None
        if before is not None and before.type == "html_block":
            comment = before.content.strip()
            if match := _NOT_RUN.match(comment):
                block.not_run = match["reason"]
            elif match := _SIGNATURE.match(comment):
                block.signature = match["target"]
        blocks.append(block)
    return blocks


ALL_BLOCKS = [block for page in PAGES for block in blocks_of(page)]


def _page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


# -- every block is run, checked or opted out --------------------------------------------------


def test_every_block_is_run_checked_or_opted_out():
    problems = []
    for block in ALL_BLOCKS:
        known = PYTHON | BASH | CONSOLE | TEXT
        if block.lang not in known:
            problems.append(
                f"{block.where}: a block tagged {block.lang or 'with no language'!r}; tag it "
                f"python, bash, console or text (diagrams and output)"
            )
        elif block.lang in TEXT and _LOOKS_LIKE_CODE.search(block.code):
            problems.append(
                f"{block.where}: a text block that looks like code; tag it python, bash or "
                f"console so that it runs, or say why not with <!-- not run: reason -->"
            )
        elif block.signature is not None and block.lang not in PYTHON:
            problems.append(f"{block.where}: <!-- signature: ... --> needs a python block")
        elif block.not_run is not None and block.lang in TEXT:
            problems.append(f"{block.where}: a text block never runs; drop <!-- not run -->")
        elif block.lang in PYTHON and block.not_run is None and block.signature is None:
            try:
                compile(block.code, block.where, "exec")
            except SyntaxError as exc:
                problems.append(f"{block.where}: not valid Python ({exc.msg}, line {exc.lineno})")
    assert not problems, "\n".join(problems)


def test_few_blocks_are_opted_out():
    not_run = [f"{b.where}: {b.not_run}" for b in ALL_BLOCKS if b.not_run is not None]
    assert len(not_run) <= MAX_NOT_RUN, "too many blocks are not run:\n" + "\n".join(not_run)


# -- signatures --------------------------------------------------------------------------------


def _documented_parameters(block: Block) -> list[tuple[str, str, str | None]]:
    code = block.code.strip()
    start = code.index("(")
    depth, end = 0, start
    while True:  # to the matching ")": what follows (a return value) is left out
        depth += {"(": 1, ")": -1}.get(code[end], 0)
        if depth == 0:
            break
        end += 1
    tree = ast.parse(f"def f{code[start : end + 1]}: pass")
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef)
    a = fn.args
    result: list[tuple[str, str, str | None]] = []
    positional = [*a.posonlyargs, *a.args]
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    for arg, default in zip(positional, defaults, strict=True):
        result.append((arg.arg, "positional", None if default is None else ast.unparse(default)))
    if a.vararg is not None:
        result.append((a.vararg.arg, "*args", None))
    for arg, default in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        result.append((arg.arg, "keyword", None if default is None else ast.unparse(default)))
    if a.kwarg is not None:
        result.append((a.kwarg.arg, "**kwargs", None))
    return result


def _actual_parameters(target: str) -> list[tuple[str, str, str | None]]:
    module_name, _, attr = target.rpartition(".")
    obj = None
    while module_name:
        try:
            obj = importlib.import_module(module_name)
            break
        except ModuleNotFoundError:
            module_name, _, head = module_name.rpartition(".")
            attr = f"{head}.{attr}"
    for name in attr.split("."):
        obj = getattr(obj, name)
    kinds = {
        inspect.Parameter.POSITIONAL_ONLY: "positional",
        inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
        inspect.Parameter.VAR_POSITIONAL: "*args",
        inspect.Parameter.KEYWORD_ONLY: "keyword",
        inspect.Parameter.VAR_KEYWORD: "**kwargs",
    }
    result: list[tuple[str, str, str | None]] = []
    for p in inspect.signature(obj).parameters.values():
        if p.name == "self":
            continue
        default = None if p.default is inspect.Parameter.empty else repr(p.default)
        if isinstance(p.default, int | float) and not isinstance(p.default, bool):
            default = repr(p.default)
        result.append((p.name, kinds[p.kind], default))
    return result


def _normalize(parameters):
    def norm(default):
        if default is None:
            return None
        try:
            return repr(ast.literal_eval(default))
        except (ValueError, SyntaxError):
            return default

    ordered = [(name, kind, norm(default)) for name, kind, default in parameters]
    # keyword-only parameters may be documented in any order
    keyword = sorted(p for p in ordered if p[1] == "keyword")
    return [p for p in ordered if p[1] != "keyword"] + keyword


@pytest.mark.parametrize(
    "block",
    [b for b in ALL_BLOCKS if b.signature is not None],
    ids=lambda b: b.where,
)
def test_signature_matches_the_code(block):
    documented = _normalize(_documented_parameters(block))
    actual = _normalize(_actual_parameters(block.signature))
    assert (
        documented == actual
    ), f"{block.where} documents {block.signature} as\n{documented}\nbut it is\n{actual}"


# -- running a page ----------------------------------------------------------------------------

# Runs in a fresh interpreter: argv = page, blocks (JSON), the script file to write. Each block
# is appended to the script (padded so that its lines are the page's) before it runs, in the
# namespace of a fresh __main__ module whose file is that script.
_RUNNER = r"""
import json, sys, types
from pathlib import Path

def run(page, blocks_file, script_file):
    blocks = json.loads(Path(blocks_file).read_text())
    script = Path(script_file)
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    sys.modules["__main__"] = main
    sys.argv = [str(script)]
    lines = []
    for block in blocks:
        lines += [""] * (block["line"] - 1 - len(lines)) + block["code"].splitlines()
        script.write_text("\n".join(lines) + "\n")
        print(f"--- running {block['where']}", flush=True)
        code = compile("\n" * (block["line"] - 1) + block["code"], page, "exec")
        exec(code, main.__dict__)

run(*sys.argv[1:4])
"""


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TUNESMITH_HOME", None)  # the default, ./tunesmith-results, as a reader has it
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    env["COLUMNS"] = "120"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _tail(text: str, n: int = 60) -> str:
    return "\n".join(text.splitlines()[-n:])


def _run_python(blocks: list[Block], work: Path, env: dict[str, str]) -> None:
    runner = work.parent / "runner"
    runner.mkdir()
    data = [{"line": b.line, "code": b.code, "where": b.where} for b in blocks]
    (runner / "blocks.json").write_text(json.dumps(data))
    script = runner / f"{blocks[0].page.stem}_page.py"
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _RUNNER,
            str(blocks[0].page),
            str(runner / "blocks.json"),
            str(script),
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=PAGE_TIMEOUT,
    )
    if out.returncode != 0:
        pytest.fail(
            f"a python block failed (exit code {out.returncode}); output:\n{_tail(out.stdout)}"
            f"\n--- stderr:\n{_tail(out.stderr)}",
            pytrace=False,
        )


def _run_bash(block: Block, work: Path, env: dict[str, str]) -> None:
    out = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block.code],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=PAGE_TIMEOUT,
    )
    if out.returncode != 0:
        pytest.fail(
            f"{block.where}: the bash block failed (exit code {out.returncode})\n"
            f"{_tail(out.stdout)}\n--- stderr:\n{_tail(out.stderr)}",
            pytrace=False,
        )


def console_commands(code: str) -> list[tuple[str, list[str]]]:
    """The ``$ command`` lines of a console block (joining ``\\`` continuations) with the
    output shown under each."""
    commands: list[tuple[str, list[str]]] = []
    continued = False
    for line in code.splitlines():
        if continued:
            command, output = commands[-1]
            commands[-1] = (f"{command}\n{line}", output)
            continued = line.endswith("\\")
        elif line.startswith("$ "):
            commands.append((line[2:], []))
            continued = line.endswith("\\")
        elif commands:
            commands[-1][1].append(line)
        elif line.strip():
            raise AssertionError(f"output before the first $ command: {line!r}")
    return commands


def _first_word(line: str) -> str:
    match = re.match(r"[A-Za-z]*", line.strip())
    assert match is not None
    return match.group(0)


def _run_console(block: Block, work: Path, env: dict[str, str]) -> None:
    commands = console_commands(block.code)
    assert commands, f"{block.where}: a console block without a $ command"
    for command, shown in commands:
        out = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=PAGE_TIMEOUT,
        )
        shown_lines = [line for line in shown if line.strip()]
        got_lines = [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]
        error = bool(shown_lines) and shown_lines[0].startswith("Error:")
        context = (
            f"{block.where}: $ {command}\nexit code {out.returncode}; stdout:\n"
            f"{_tail(out.stdout)}\n--- stderr:\n{_tail(out.stderr)}"
        )
        if error:
            assert out.returncode == 2, f"expected an error (exit code 2)\n{context}"
        else:
            assert out.returncode == 0, context
        if shown_lines:
            assert got_lines, f"expected output\n{context}"
            assert _first_word(got_lines[0]) == _first_word(
                shown_lines[0]
            ), f"the output should start like {shown_lines[0]!r}\n{context}"


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_page_runs(page, tmp_path):
    blocks = [b for b in blocks_of(page) if b.not_run is None and b.signature is None]
    python = [b for b in blocks if b.lang in PYTHON]
    shell = [b for b in blocks if b.lang in BASH | CONSOLE]
    if not python and not shell:
        pytest.skip("no block to run")
    work = tmp_path / "work"
    work.mkdir()
    env = _environment()
    if python:
        _run_python(python, work, env)
    for block in shell:
        if block.lang in BASH:
            _run_bash(block, work, env)
        else:
            _run_console(block, work, env)


# -- the collector itself ----------------------------------------------------------------------


def test_the_collector_reads_opt_outs_signatures_and_fails_on_a_broken_block(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# A page\n\n"
        "<!-- not run: needs a server -->\n```bash\nmake demo\n```\n\n"
        "<!-- signature: tunesmith.Tuner -->\n```python\nTuner(backend)\n```\n\n"
        "```python\nx = 1\n```\n\n"
        "```python\nassert x == 2, 'a broken snippet'\n```\n"
    )
    blocks = blocks_of(page)
    assert [(b.line, b.lang, b.not_run, b.signature) for b in blocks] == [
        (5, "bash", "needs a server", None),
        (10, "python", None, "tunesmith.Tuner"),
        (14, "python", None, None),
        (18, "python", None, None),
    ]
    work = tmp_path / "work"
    work.mkdir()
    with pytest.raises(pytest.fail.Exception) as failed:
        _run_python(blocks[2:], work, _environment())
    assert f'File "{page}", line 18' in str(failed.value)
    assert "a broken snippet" in str(failed.value)


def test_a_console_command_must_fail_exactly_when_its_output_shows_an_error(tmp_path):
    def block(code):
        return Block(page=tmp_path / "page.md", line=1, lang="console", code=code)

    error = "$ python -c \"import sys; print('Error: no'); sys.exit(2)\"\n"
    _run_console(block(error + "Error: no\n"), tmp_path, _environment())
    with pytest.raises(AssertionError, match="exit code 2"):
        _run_console(block(error + "no\n"), tmp_path, _environment())
    with pytest.raises(AssertionError, match="expected an error"):
        _run_console(block("$ python -c pass\nError: no\n"), tmp_path, _environment())
