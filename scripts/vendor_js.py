#!/usr/bin/env python3
"""Refresh the JavaScript libraries the JS engine ships (underscore.js, moment.js).

They come from their npm packages, fetched with the ordinary ``npm`` client;
``hookhub/engines/js/vendor/vendor.json`` records, for each, the package
version, the tarball's npm ``integrity`` (checked here) and the sha256 of the
file kept (checked by ``tests/engines/test_vendor.py``). Why they are vendored
and not a Python dependency: README, "Libraries, and why".

    python scripts/vendor_js.py                      # re-fetch the recorded versions, verify
    python scripts/vendor_js.py underscore@1.13.8    # move one library to another version
    python scripts/vendor_js.py --tarball underscore=./underscore-1.13.8.tgz   # no network
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).resolve().parent.parent / "hookhub" / "engines" / "js" / "vendor"
RECORD = VENDOR / "vendor.json"


def load_record(vendor: Path = VENDOR) -> dict[str, Any]:
    """The recorded libraries: ``{name: {version, file, source, integrity, sha256}}``."""
    return json.loads((vendor / "vendor.json").read_text("utf-8"))  # type: ignore[no-any-return]


def integrity_of(data: bytes) -> str:
    """npm's ``dist.integrity`` (Subresource Integrity, sha512) of a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def install_tarball(name: str, version: str, tarball: Path, entry: dict[str, Any],
                    vendor: Path = VENDOR, expected_integrity: str | None = None) -> dict[str, Any]:
    """Copy ``entry['source']`` and the LICENSE out of an npm tarball into *vendor*.

    Refuses a tarball whose integrity differs from *expected_integrity* (what the
    registry says) or whose package.json names another package or version.
    Returns the updated record entry.
    """
    data = tarball.read_bytes()
    integrity = integrity_of(data)
    if expected_integrity is not None and integrity != expected_integrity:
        raise SystemExit(f"{name}@{version}: tarball integrity {integrity} differs from the "
                         f"registry's {expected_integrity}; not installed")
    with tarfile.open(tarball, "r:gz") as tar:
        meta = json.loads(tar.extractfile("package/package.json").read())  # type: ignore[union-attr]
        if meta.get("name") != name or meta.get("version") != version:
            raise SystemExit(f"{tarball}: is {meta.get('name')}@{meta.get('version')}, "
                             f"not {name}@{version}")
        source = tar.extractfile(f"package/{entry['source']}").read()  # type: ignore[union-attr]
        license_text = tar.extractfile("package/LICENSE").read()  # type: ignore[union-attr]
    (vendor / entry["file"]).write_bytes(source)
    (vendor / f"LICENSE.{name}").write_bytes(license_text)
    return {**entry, "version": version, "integrity": integrity,
            "sha256": hashlib.sha256(source).hexdigest()}


def _npm(*args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["npm", *args], check=True, capture_output=True, text=True,
                          cwd=cwd).stdout.strip()


def fetch(name: str, version: str, entry: dict[str, Any], vendor: Path = VENDOR) -> dict[str, Any]:
    """``npm pack name@version`` into a temporary folder, verified, then installed."""
    expected = _npm("view", f"{name}@{version}", "dist.integrity")
    with tempfile.TemporaryDirectory() as tmp:
        _npm("pack", f"{name}@{version}", "--pack-destination", tmp, cwd=Path(tmp))
        (tarball,) = Path(tmp).glob("*.tgz")
        return install_tarball(name, version, tarball, entry, vendor, expected)


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("specs", nargs="*", help="name@version to move to (default: the recorded ones)")
    parser.add_argument("--tarball", action="append", default=[], metavar="NAME=PATH",
                        help="use a tarball already downloaded (npm pack) instead of npm")
    parser.add_argument("--vendor", type=Path, default=VENDOR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    record = load_record(args.vendor)
    wanted = {name: entry["version"] for name, entry in record.items()}
    for spec in args.specs:
        name, _, version = spec.partition("@")
        if name not in record or not version:
            parser.error(f"{spec}: expected one of {', '.join(record)} as NAME@VERSION")
        wanted[name] = version
    tarballs = dict(t.split("=", 1) for t in args.tarball)
    for name, version in wanted.items():
        if name in tarballs:
            record[name] = install_tarball(name, version, Path(tarballs[name]), record[name], args.vendor)
        elif not tarballs:
            record[name] = fetch(name, version, record[name], args.vendor)
        else:
            continue
        print(f"{name}@{version}: {record[name]['file']} sha256 {record[name]['sha256']}")
    (args.vendor / "vendor.json").write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
