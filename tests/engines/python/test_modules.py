"""hookhub.engines.python.modules: the guarded ``__import__`` and the read-only module proxies scripts get."""

from __future__ import annotations

import random
import textwrap
import time

import pytest

from hookhub.engines.python import PythonEngine, hookkit
from hookhub.engines.base import ScriptEnv
from hookhub.engines.python.modules import SHARED_CONTAINERS, ModuleImporter, ModuleProxy
from hookhub.engines.python.policy import ALLOWED_MODULES
from hookhub.request import freeze

ALLOW_LIST = ", ".join(ALLOWED_MODULES)


@pytest.mark.parametrize("name", ["os", "sys", "builtins", "importlib", "subprocess", "pickle", "hookhub",
                                  "hookhub.engines.python.hookkit", "json.decoder", "urllib.request", "urllib.parse.x"])
def test_modules_outside_the_allow_list_are_refused(name: str) -> None:
    with pytest.raises(ImportError) as caught:
        ModuleImporter()(name)
    assert str(caught.value) == f'import of "{name}" is not allowed; allowed modules: {ALLOW_LIST}'


def test_odd_imports_are_refused() -> None:
    importer = ModuleImporter()
    with pytest.raises(ImportError, match="relative imports are not allowed"):
        importer("json", None, None, ("dumps",), 1)
    with pytest.raises(ImportError, match="module name must be a string"):
        importer(b"json")  # type: ignore[arg-type]


def test_every_allowed_module_imports_once_per_importer() -> None:
    first, second = ModuleImporter(), ModuleImporter()
    for name in ALLOWED_MODULES:
        proxy = first(name, fromlist=("x",))
        assert isinstance(proxy, ModuleProxy) and repr(proxy) == f"<module {name!r} (hookhub guarded)>"
        assert first(name, fromlist=("x",)) is proxy  # cached for the script instance...
        assert second(name, fromlist=("x",)) is not proxy  # ...never shared with another one
    # `import urllib.parse` binds `urllib`, `from urllib.parse import quote` gets the sub-module
    urllib = first("urllib.parse")
    assert repr(urllib) == "<module 'urllib' (hookhub guarded)>" and urllib.parse is first("urllib.parse", fromlist=("q",))
    assert urllib.parse.quote("a b") == "a%20b"


def test_proxies_are_read_only() -> None:
    proxy = ModuleImporter()("json")
    dumps = proxy.dumps
    with pytest.raises(TypeError, match="module 'json' is read-only"):
        proxy.dumps = None
    with pytest.raises(TypeError, match="module 'json' is read-only"):
        proxy.anything_new = 1
    with pytest.raises(TypeError):
        del proxy.dumps
    with pytest.raises(TypeError, match="not iterable"):
        iter(proxy)
    assert proxy.dumps is dumps and ModuleImporter()("json").dumps({"a": 1}) == '{"a": 1}'


def test_proxies_expose_public_safe_attributes_only() -> None:
    importer = ModuleImporter()
    json_, hashlib, collections_ = importer("json"), importer("hashlib"), importer("collections")
    for proxy, name in ((json_, "decoder"), (json_, "_default_encoder"), (collections_, "abc"),
                        (json_, "__builtins__"), (hashlib, "__loader__")):
        with pytest.raises(AttributeError, match=f"has no attribute {name!r}"):
            getattr(proxy, name)
    assert isinstance(hashlib.algorithms_available, frozenset)  # a mutable set handed out frozen
    assert hashlib.sha256(b"x").hexdigest().startswith("2d711642")
    assert collections_.Counter("aab").most_common(1) == [("a", 2)]


@pytest.mark.parametrize(("module", "name", "reason"), [
    ("time", "sleep", "scripts must not block"),
    ("time", "tzset", "changes the process time zone"),
    ("decimal", "getcontext", "the shared decimal context cannot be changed"),
    ("string", "Formatter", "can traverse attributes"),
    ("uuid", "getnode", "network interfaces"),
    ("zoneinfo", "reset_tzpath", "time-zone search path"),
])
def test_dangerous_names_are_refused_with_a_reason(module: str, name: str, reason: str) -> None:
    with pytest.raises(AttributeError, match=f"^{module}.{name} is not available to scripts: .*{reason}"):
        getattr(ModuleImporter()(module), name)


def test_stateful_modules_are_private_to_each_importer() -> None:
    one, two = ModuleImporter()("random"), ModuleImporter()("random")
    one.seed(42)
    two.seed(7)
    state = random.getstate()
    assert one.random() == random.Random(42).random() and two.random() == random.Random(7).random()
    assert random.getstate() == state  # the process-wide generator was not touched
    node = ModuleImporter()("uuid").uuid1().node
    assert node & (1 << 40), "uuid1 uses a random multicast node, never the machine's MAC address"
    # a library class's mutable container is noted, so getattr hands out copies of it
    wrapper = ModuleImporter()("textwrap").TextWrapper
    assert id(wrapper.unicode_whitespace_trans) in SHARED_CONTAINERS
    assert ModuleImporter()("time").time() == pytest.approx(time.time(), abs=5)


def test_hookkit_exposes_its_all_and_dispatch_logs_to_the_script() -> None:
    lines: list[str] = []
    kit = ModuleImporter(lines.append)("hookkit")
    for name in hookkit.__all__:
        assert getattr(kit, name) is getattr(hookkit, name) or name == "dispatch"
    for hidden in ("Iterable", "annotations", "_lookup"):  # imported or private names of the module itself
        assert hasattr(hookkit, hidden)
        with pytest.raises(AttributeError, match=f"module 'hookkit' has no attribute {hidden!r}"):
            getattr(kit, hidden)
    request = freeze({"headers": {"x-acme-event": "ping"}, "content": {}})
    assert kit.dispatch(request, {"push": print}, header="X-Acme-Event", service="Acme") is None
    assert lines == ["Acme event 'ping' is not supported; nothing posted"]
    silent = ModuleImporter()("hookkit")
    assert silent.dispatch is hookkit.dispatch


def test_a_future_import_runs() -> None:
    source = textwrap.dedent("""
        from __future__ import annotations

        class Script:
            def process_incoming_request(self, request):
                return {"content": {"text": "ok"}}
    """)
    script = PythonEngine().instantiate(source, "future.py", ScriptEnv("t"))
    assert script.call("process_incoming_request", {"request": {}}) == {"content": {"text": "ok"}}
