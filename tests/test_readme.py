"""The README's library example runs as written and prints what it promises."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"


def test_readme_library_example_verifies_its_own_badge():
    block = re.search(r"```python\n(.*?)```", README.read_text("utf-8"), re.S).group(1)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(block, "README.md", "exec"), {})
    assert output.getvalue().strip() == "valid"
