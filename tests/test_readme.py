"""Every example of the README runs as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import client
from lexv2_helpers import simple_bot

README = Path(__file__).resolve().parents[1] / "README.md"


def blocks(language: str) -> list[str]:
    """The README's code blocks in ``language`` (python: the Lex ones; the Personalize one is apart)."""
    found = re.findall(rf"```{language}\n(.*?)```", README.read_text(), re.DOTALL)
    return [b for b in found if "personalize" not in b and "quicksight" not in b] if language == "python" else found


def _examples(service: str) -> list[str]:
    return [b for b in re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL) if service in b]


def _example(service: str) -> str:
    [example] = _examples(service)
    return example


def test_readme_quicksight_examples_run(server_factory, capsys):
    server = server_factory(LOCALEXPORT_JOB_DELAY="0.2")
    for _ in range(2):  # a reader may run them again on the same server
        namespace: dict = {}
        for block in _examples("quicksight"):  # one session: the identity block goes on with the bundle's accounts
            exec(compile(block.replace("http://127.0.0.1:4577", server.url), "README.md", "exec"), namespace)  # noqa: S102
        assert capsys.readouterr().out.split("\n")[:2] == ["SUCCESSFUL ['kpis']", "['kpis']"]


def test_readme_personalize_example_runs(server_factory, capsys):
    server = server_factory(LOCALEXPORT_JOB_DELAY="0.2")
    for _ in range(2):  # a reader may run it again on the same server
        exec(compile(_example("personalize").replace("http://127.0.0.1:4577", server.url), "README.md", "exec"), {})  # noqa: S102
        header, *rows = capsys.readouterr().out.split()
        assert header == "ITEM_ID,PRICE" and sorted(rows) == ["hat,10.0", "shoe,40.0"]


def test_readme_server_examples_run(server_factory, tmp_path, monkeypatch, capsys):
    server = server_factory(LOCALEXPORT_JOB_DELAY="0.2")
    export, import_, release, runtime, v1 = blocks("python")[:5]
    assert "http://127.0.0.1:4577" in export and "create_bot_alias" in release and "lex-models" in v1
    assert "recognize_text" in runtime
    monkeypatch.chdir(tmp_path)
    for _ in range(2):  # a reader may paste them again on the same server
        namespace: dict = {}
        for block in (export, import_, release, runtime, v1):  # one session, as a reader would paste them
            exec(compile(block.replace("http://127.0.0.1:4577", server.url), "README.md", "exec"), namespace)  # noqa: S102
    with zipfile.ZipFile(tmp_path / "PizzaBot.zip") as archive:
        assert any(n.endswith("PizzaBot/Bot.json") for n in archive.namelist())
    lex = namespace["lex"]
    assert lex.describe_import(importId=namespace["slot"]["importId"])["importStatus"] == "Completed"
    assert {b["botName"] for b in lex.list_bots()["botSummaries"]} == {"PizzaBot", "PizzaBotCopy", "GreeterV2"}
    alias = lex.describe_bot_alias(botId=namespace["copy"], botAliasId=namespace["alias"]["botAliasId"])
    assert (alias["botAliasStatus"], alias["botVersion"]) == ("Available", "1")
    assert capsys.readouterr().out.split() == ["OrderPizza", "1.0", "Fulfilled", "READY", "GreeterV2"] * 2


def test_readme_in_process_example_runs():
    namespace: dict = {}
    exec(compile(blocks("python")[5], "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["archive"][:2] == b"PK"


def test_readme_pytest_example_passes(tmp_path):
    test_file = tmp_path / "test_from_readme.py"
    test_file.write_text(blocks("python")[6])
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_readme_cli_examples_run(server_factory, tmp_path):
    server = server_factory(LOCALEXPORT_JOB_MODE="immediate")
    lex = client("lexv2-models", server.url)
    bot_id = simple_bot(lex)["botId"]
    export_id = lex.create_export(resourceSpecification={"botExportSpecification": {"botId": bot_id,
                                                                                   "botVersion": "DRAFT"}},
                                  fileFormat="LexJson")["exportId"]
    env = {**os.environ, "LOCALEXPORT_URL": server.url, "COLUMNS": "200"}
    for line in blocks("bash")[1].splitlines():
        command = line.split("#", 1)[0].strip().replace("8ZKQ1XJ3TW", export_id)
        assert command.startswith("localexport ")
        done = subprocess.run([sys.executable, "-m", "localexport", *command.split()[1:]], capture_output=True,
                              text=True, cwd=tmp_path, env=env, timeout=60, check=False)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert (tmp_path / f"PizzaBot-DRAFT-{export_id}-LexJson.zip").is_file()
    assert lex.list_bots()["botSummaries"] == []  # the reset


def test_readme_commands_are_the_ones_ci_runs():
    commands = blocks("bash")[0].splitlines()
    assert "localexport serve" in commands[0]
    assert "python -m pytest" in commands[1]
    ci = (README.parent / ".ci" / "run").read_text()
    assert "pip install --quiet -e '.[test]'" in ci and "python -m pytest" in ci


@pytest.mark.parametrize("section", ["## Settings", "## Test controls", "## In your tests", "## The command line"])
def test_readme_sections_exist(section):
    assert section in README.read_text()
