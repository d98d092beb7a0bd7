"""The first example of docs/bench.md runs."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "bench.md"


def test_the_first_example_of_the_docs_runs():
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    assert len(namespace["result"].trials) == 200
    assert 0 < namespace["tuner"].elapsed < 3600
