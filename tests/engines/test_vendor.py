"""The vendored JavaScript libraries (hookhub/engines/js/vendor/) and scripts/vendor_js.py."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import shutil
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "hookhub" / "engines" / "js" / "vendor"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vendor_js", ROOT / "scripts" / "vendor_js.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tarball(path: Path, name: str, version: str, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for member, data in {"package/package.json": json.dumps({"name": name, "version": version}).encode(),
                             **{f"package/{k}": v for k, v in files.items()}}.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_vendored_files_match_their_record() -> None:
    record = json.loads((VENDOR / "vendor.json").read_text())
    assert set(record) == {"underscore", "moment"}
    for name, entry in record.items():
        data = (VENDOR / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], f"{name}: {entry['file']} differs from vendor.json"
        assert entry["integrity"].startswith("sha512-")
        assert (VENDOR / f"LICENSE.{name}").read_text().startswith(("Copyright", "The MIT"))
    assert f'"{record["underscore"]["version"]}"' in (VENDOR / "underscore.js").read_text()


def test_refresh_from_a_tarball_records_version_integrity_and_checksum(tmp_path: Path) -> None:
    tool = _tool()
    vendor = tmp_path / "vendor"
    shutil.copytree(VENDOR, vendor)
    source = b"(function(){ this._ = {VERSION: '9.9.9'}; })();\n"
    tgz = _tarball(tmp_path / "u.tgz", "underscore", "9.9.9",
                   {"underscore-umd-min.js": source, "LICENSE": b"Copyright test\n"})
    assert tool.main(["underscore@9.9.9", "--tarball", f"underscore={tgz}", "--vendor", str(vendor)]) == 0
    record = json.loads((vendor / "vendor.json").read_text())
    assert record["underscore"]["version"] == "9.9.9"
    assert record["underscore"]["sha256"] == hashlib.sha256(source).hexdigest()
    assert record["underscore"]["integrity"] == tool.integrity_of(tgz.read_bytes())
    assert (vendor / "underscore.js").read_bytes() == source
    assert record["moment"] == json.loads((VENDOR / "vendor.json").read_text())["moment"]  # untouched


def test_refresh_refuses_the_wrong_package_or_a_bad_integrity(tmp_path: Path) -> None:
    tool = _tool()
    vendor = tmp_path / "vendor"
    shutil.copytree(VENDOR, vendor)
    tgz = _tarball(tmp_path / "m.tgz", "moment", "2.30.1", {"min/moment.min.js": b"x", "LICENSE": b"c"})
    with pytest.raises(SystemExit, match="is moment@2.30.1, not underscore@1.0.0"):
        tool.main(["underscore@1.0.0", "--tarball", f"underscore={tgz}", "--vendor", str(vendor)])
    entry = json.loads((vendor / "vendor.json").read_text())["moment"]
    with pytest.raises(SystemExit, match="differs from the registry's"):
        tool.install_tarball("moment", "2.30.1", tgz, entry, vendor, expected_integrity="sha512-other")
    assert (vendor / "vendor.json").read_bytes() == (VENDOR / "vendor.json").read_bytes()
