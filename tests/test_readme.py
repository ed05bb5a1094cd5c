"""The README's boto3 example runs as written, against a real server."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs(server_factory, tmp_path, monkeypatch):
    server = server_factory(LOCALEXPORT_JOB_DELAY="0.2")
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) == 2 and "http://127.0.0.1:4577" in blocks[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:  # one session, as a reader would paste them
        exec(compile(block.replace("http://127.0.0.1:4577", server.url), "README.md", "exec"), namespace)
    with zipfile.ZipFile(tmp_path / "PizzaBot.zip") as archive:
        assert any(n.endswith("PizzaBot/Bot.json") for n in archive.namelist())
    lex = namespace["lex"]
    assert lex.describe_import(importId=namespace["slot"]["importId"])["importStatus"] == "Completed"
    assert {b["botName"] for b in lex.list_bots()["botSummaries"]} == {"PizzaBot", "PizzaBotCopy"}


def test_readme_commands_are_the_ones_ci_runs():
    text = README.read_text()
    commands = re.search(r"```bash\n(.*?)```", text, re.S).group(1).splitlines()
    assert "localexport serve" in commands[0]
    assert "python -m pytest" in commands[1]
    ci = (README.parent / ".ci" / "run").read_text()
    assert "pip install --quiet -e '.[test]'" in ci and "python -m pytest" in ci
