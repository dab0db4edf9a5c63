"""The package as a user gets it: ``python -m build``, then the wheel in a fresh venv.

No ``PIP_CONSTRAINT``/``PIP_BUILD_CONSTRAINT`` anywhere: the build must work with a
current setuptools, and the wheel must carry every non-Python file hookhub reads
(the JavaScript engine's ``.js`` files above all). The installed ``hookhub serve``
then serves the README's example config plus a JavaScript integration using
``_`` and ``moment``, from a folder outside the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from .test_e2e import ROOT, Server

pytestmark = pytest.mark.slow

_SKIP = {".venv", ".git", "build", "dist", "__pycache__", ".pytest_cache", ".mypy_cache", "data"}

JS_SCRIPT = """\
class Script {
  process_incoming_request({ request }) {
    const names = _.pluck(request.content.items, 'name');
    const when = moment.utc(request.content.at).format('YYYY-MM-DD');
    return { content: { text: `${names.join(', ')} on ${when} (underscore ${_.VERSION})` } };
  }
}
"""

JS_INTEGRATION = """
  - id: jsdemo
    type: incoming
    token: js-dev-token
    channel: "#general"
    username: rocket.cat
    script_file: jsdemo.js
"""


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PIP_CONSTRAINT", "PIP_BUILD_CONSTRAINT", "VIRTUAL_ENV", "PYTHONPATH"))
            and not k.endswith("_TOKEN")}


def _run(args: list[str], cwd: Path, timeout: float = 600) -> str:
    proc = subprocess.run(args, cwd=cwd, env=_clean_env(), capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_built_wheel_installs_in_a_fresh_venv_and_serves(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=lambda _d, names: [
        n for n in names if n in _SKIP or n.endswith((".egg-info", ".pyc"))])
    _run([sys.executable, "-m", "build", "--outdir", str(tmp_path / "dist"), str(source)], cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("hookhub-*.whl")
    (sdist,) = (tmp_path / "dist").glob("hookhub-*.tar.gz")

    names = set(zipfile.ZipFile(wheel).namelist())
    vendor = json.loads((ROOT / "hookhub/engines/js/vendor/vendor.json").read_text())
    needed = {"hookhub/py.typed", "hookhub/engines/js/prelude.js", "hookhub/engines/js/string.js",
              "hookhub/engines/js/vendor/vendor.json"}
    needed |= {f"hookhub/engines/js/vendor/{entry['file']}" for entry in vendor.values()}
    needed |= {f"hookhub/engines/js/vendor/LICENSE.{name}" for name in vendor}
    assert needed <= names, f"missing from the wheel: {sorted(needed - names)}"
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names)
    with tarfile.open(sdist) as tar:
        members = {m.split("/", 1)[1] for m in tar.getnames() if "/" in m}
    assert {"LICENSE", "hookhub/engines/js/prelude.js", "hookhub/engines/js/vendor/underscore.js"} <= members

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    _run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], cwd=tmp_path)

    # The README's example, outside the repository: config/ and plugins/ side by side.
    site = tmp_path / "site"
    shutil.copytree(ROOT / "config", site / "config", ignore=shutil.ignore_patterns("data"))
    shutil.copytree(ROOT / "plugins", site / "plugins", ignore=shutil.ignore_patterns("__pycache__"))
    (site / "config" / "jsdemo.js").write_text(JS_SCRIPT)
    config = site / "config" / "hookhub.yaml"
    config.write_text(config.read_text() + JS_INTEGRATION)

    server = Server(config, hookhub=env_dir / "bin" / "hookhub", cwd=tmp_path)
    server.start()
    try:
        hook = f"{server.url}/hooks/example/example-dev-token"
        assert httpx.post(hook, json={"text": "from the wheel"}).json() == {"success": True}
        answer = httpx.post(f"{server.url}/hooks/jsdemo/js-dev-token",
                            json={"items": [{"name": "a"}, {"name": "b"}], "at": "2024-05-06T07:08:09Z"})
        assert answer.json() == {"success": True}, answer.text
        got = httpx.get(f"{server.url}/api/v1/channels/general/messages",
                        headers={"Authorization": "Bearer dev-admin-token"}).json()["messages"]
        texts = [m["text"] for m in got]
        assert f"a, b on 2024-05-06 (underscore {vendor['underscore']['version']})" in texts
        assert "from the wheel" in texts
    finally:
        server.stop()
    # the server ran the installed copy, not the source tree
    assert "site-packages" in _run([str(env_dir / "bin" / "python"), "-c",
                                    "import hookhub.engines.javascript as j; print(j.__file__)"], cwd=tmp_path)

