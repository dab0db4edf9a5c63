"""The script scaffold (hookhub.scaffold): the files ``hookhub new-script`` writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookhub.engines.python import PythonEngine
from hookhub.scaffold import scaffold


def test_the_files_of_a_new_script(tmp_path: Path) -> None:
    files = scaffold(tmp_path, "acme_ci")
    folder = tmp_path / "acme_ci"
    assert sorted(p.relative_to(folder).as_posix() for p in files) == [
        "README.md", "fixtures/example__basic.json", "script.py", "test_acme_ci.py"]
    script = (folder / "script.py").read_text(encoding="utf-8")
    assert 'EVENT_HEADER = "X-AcmeCi-Event"' in script
    PythonEngine().check(script, "script.py")  # the sandbox's policy accepts it as written
    fixture = json.loads((folder / "fixtures" / "example__basic.json").read_text(encoding="utf-8"))
    assert fixture == {"message": "Hello from acme_ci", "title": "A first event"}
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert f"script_file: {tmp_path.as_posix()}/acme_ci/script.py" in readme


def test_a_relative_folder_is_written_relative_to_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    scaffold(Path("plugins"), "shop")
    assert "script_file: ../plugins/shop/script.py" in (tmp_path / "plugins/shop/README.md").read_text()


@pytest.mark.parametrize("name", ["Acme", "1acme", "acme-ci", "", "a/b"])
def test_names_that_cannot_be_folders_and_ids_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="use lower-case letters, digits and '_'"):
        scaffold(tmp_path, name)


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "acme").mkdir()
    with pytest.raises(FileExistsError, match="already exists; choose another name or remove it"):
        scaffold(tmp_path, "acme")
    assert list((tmp_path / "acme").iterdir()) == []
