"""The Python engine: everyday Python works, refusals are clear, state is kept."""

from __future__ import annotations

import hmac
import textwrap
from typing import Any

import pytest

from hookhub.engines.base import ScriptEnv, ScriptStore
from hookhub.engines.python import PythonEngine, hookhub_script_engines
from hookhub.errors import ScriptCompileError
from hookhub.plugins import engines, make_plugin_manager
from hookhub.engines.boundary import to_json_result
from hookhub.engines.python.policy import ALLOWED_MODULES


def load(body: str, env: ScriptEnv | None = None, filename: str = "script.py") -> Any:
    source = textwrap.dedent(body)
    return PythonEngine().instantiate(source, filename, env or ScriptEnv("test"))


def run(expr_body: str, request: Any = None, prelude: str = "") -> Any:
    """Run ``expr_body`` as the body of process_incoming_request and return its result."""
    body = textwrap.indent(textwrap.dedent(expr_body), " " * 8)
    source = f"{textwrap.dedent(prelude)}\nclass Script:\n    def process_incoming_request(self, request):\n{body}\n"
    value = PythonEngine().instantiate(source, "script.py", ScriptEnv("test")).call(
        "process_incoming_request", {"request": request if request is not None else {}})
    return to_json_result(value, 1 << 20)


def compile_error(source: str) -> ScriptCompileError:
    with pytest.raises(ScriptCompileError) as info:
        PythonEngine().check(textwrap.dedent(source), "bad.py")
    return info.value


# -- registration --------------------------------------------------------


def test_engine_is_a_default_plugin() -> None:
    found = engines(make_plugin_manager())
    assert isinstance(found["python"], PythonEngine)
    assert found["python"].extensions == (".py",)
    assert [e.name for e in hookhub_script_engines()] == ["python"]


# -- everyday Python (CONTRACT section 4) --------------------------------

EVERYDAY = [
    ("classes with __init__ and helpers", """
        class Counter:
            def __init__(self, start):
                self.value = start
            def bump(self):
                self.value += 1
                return self.value
        c = Counter(41)
        return c.bump()""", 42),
    ("list comprehension", "return [x * 2 for x in range(4) if x]", [2, 4, 6]),
    ("dict comprehension", "return {k: v for k, v in [('a', 1), ('b', 2)]}", {"a": 1, "b": 2}),
    ("set comprehension", "return sorted({x % 3 for x in range(10)})", [0, 1, 2]),
    ("generator expression", "return sum(x for x in range(5))", 10),
    ("generator function", """
        def gen(n):
            for i in range(n):
                yield i * i
        return list(gen(4))""", [0, 1, 4, 9]),
    ("f-string with format spec", "x = 3.14159\nreturn f'{x:.2f} {\"a\"!r} {x=:.1f}'", "3.14 'a' x=3.1"),
    ("augmented assignment on names", "n = 1\nn += 2\nn *= 3\nreturn n", 9),
    ("augmented assignment on items", "d = {'k': 1}\nd['k'] += 5\nl = [1]\nl[0] -= 3\nreturn [d, l]", [{"k": 6}, [-2]]),
    ("unpacking", "a, (b, *c) = 1, (2, 3, 4)\nfirst, *rest = 'xyz'\nreturn [a, b, c, first, rest]",
     [1, 2, [3, 4], "x", ["y", "z"]]),
    ("for-loop unpacking", "out = []\nfor k, v in sorted({'b': 2, 'a': 1}.items()):\n    out.append(k + str(v))\nreturn out",
     ["a1", "b2"]),
    ("try/except/else/finally", """
        log = []
        try:
            {}['missing']
        except KeyError as e:
            log.append('key ' + str(e))
        else:
            log.append('else')
        finally:
            log.append('finally')
        return log""", ["key 'missing'", "finally"]),
    ("raise and catch own exception", """
        class Oops(Exception):
            pass
        try:
            raise Oops('bad')
        except Oops as e:
            return str(e)""", "bad"),
    ("lambda and closures", "add = lambda a, b=2: a + b\nreturn [add(1), add(1, b=5)]", [3, 6]),
    ("kwargs and star-args", "def f(*a, **k):\n    return [list(a), k]\nargs = [1, 2]\nkw = {'x': 3}\nreturn f(*args, **kw)",
     [[1, 2], {"x": 3}]),
    ("builtins", """
        v = [3, 1, 2]
        return [len(v), str(1), int('7'), float('1.5'), bool(0), list((1,)), dict(a=1), sorted(set(v)),
                tuple(v)[0], sorted(v), list(reversed(v)), min(v), max(v), sum(v), any(v), all(v),
                list(enumerate('ab')), list(zip('ab', 'cd')), list(range(3)), list(map(str, v)),
                list(filter(None, [0, 1])), isinstance(v, list), round(2.567, 2), abs(-3), repr('x')]""",
     [3, "1", 7, 1.5, False, [1], {"a": 1}, [1, 2, 3], 3, [1, 2, 3], [2, 1, 3], 1, 3, 6, True, True,
      [[0, "a"], [1, "b"]], [["a", "c"], ["b", "d"]], [0, 1, 2], ["3", "1", "2"], [1], True, 2.57, 3, "'x'"]),
    ("isinstance with tuples of builtin types", "return [isinstance({}, (list, dict)), isinstance(1, (str,))]",
     [True, False]),
    ("subclassing a builtin type", """
        class Attrs(dict):
            def get2(self, k):
                return self.get(k, 'none')
        a = Attrs(x=1)
        a['y'] = 2
        return [a.get2('x'), a.get2('z'), isinstance(a, dict), len(a)]""", [1, "none", True, 2]),
    ("string methods", "return ['a,b'.split(','), '-'.join(['x', 'y']), ' p '.strip(), 'abc'.upper(), '%s=%d' % ('a', 1)]",
     [["a", "b"], "x-y", "p", "ABC", "a=1"]),
    ("while, break, continue", """
        i, out = 0, []
        while True:
            i += 1
            if i % 2:
                continue
            if i > 6:
                break
            out.append(i)
        return out""", [2, 4, 6]),
    ("slicing", "s = 'abcdef'\nl = list(range(6))\nl[1:3] = ['x']\nreturn [s[1:4], s[::-1], l]",
     ["bcd", "fedcba", [0, "x", 3, 4, 5]]),
    ("del items and walrus", "d = {'a': 1, 'b': 2}\ndel d['a']\nif (n := len(d)) == 1:\n    return [d, n]",
     [{"b": 2}, 1]),
    ("with statement on own context manager", """
        class Ctx:
            def __init__(self):
                self.log = []
            def __enter__(self):
                self.log.append('in')
                return self
            def __exit__(self, *exc):
                self.log.append('out')
        c = Ctx()
        with c as x:
            x.log.append('body')
        return c.log""", ["in", "body", "out"]),
    ("classes with dunder helpers", """
        class P:
            def __init__(self, n):
                self.n = n
            def __str__(self):
                return 'P' + str(self.n)
            def __eq__(self, other):
                return self.n == other.n
            def __len__(self):
                return self.n
        return [str(P(2)), P(1) == P(1), len(P(3))]""", ["P2", True, 3]),
    ("annotations are accepted (and dropped)", """
        total: int = 0
        label: str
        def add(a: int, b: "int" = 1) -> int:
            return a + b
        total = add(2)
        return total""", 3),
    ("getattr with default and hasattr", """
        class O:
            def __init__(self):
                self.a = 1
        o = O()
        return [getattr(o, 'a'), getattr(o, 'b', 'dflt'), hasattr(o, 'a'), hasattr(o, 'zz')]""",
     [1, "dflt", True, False]),
]


@pytest.mark.parametrize(("what", "body", "expected"), EVERYDAY, ids=[e[0] for e in EVERYDAY])
def test_everyday_python_works(what: str, body: str, expected: Any) -> None:
    assert run(body) == expected


def test_allowed_modules_import_and_work() -> None:
    prelude = """
        import json, re, math, hashlib, hmac, base64, string, textwrap, html, itertools, functools
        import collections, decimal, uuid, random, zoneinfo, time, datetime
        import urllib.parse
        from urllib.parse import urlencode
        from collections import Counter, OrderedDict, defaultdict, namedtuple
        from datetime import datetime as dt, timezone
    """
    body = """
        Pt = namedtuple('Pt', 'x y')
        d = defaultdict(list)
        d['a'].append(1)
        return [
            json.loads('{"a": [1]}')['a'], re.sub(r'\\d', '#', 'a1b2'), math.floor(2.7),
            hashlib.sha256(b'x').hexdigest()[:8], hmac.new(b'k', b'm', 'sha1').hexdigest()[:6],
            base64.b64encode(b'hi').decode(), string.ascii_lowercase[:3], textwrap.shorten('a b c d e', 5),
            html.escape('<b>'), list(itertools.chain([1], [2])), functools.reduce(lambda a, b: a * b, [2, 3]),
            Counter('aab')['a'], list(OrderedDict(b=1)), d['a'], Pt(1, 2).y,
            str(decimal.Decimal('1.10') + decimal.Decimal('2')), len(str(uuid.uuid4())),
            0 <= random.random() < 1, urllib.parse.quote('a b'), urlencode({'q': 'x y'}),
            dt(2024, 1, 2, tzinfo=timezone.utc).isoformat(), time.time() > 0,
            str(zoneinfo.ZoneInfo('UTC')), len(str(uuid.uuid1())),
        ]
    """
    assert run(body, prelude=prelude) == [
        [1], "a#b#", 2, "2d711642", hmac.new(b"k", b"m", "sha1").hexdigest()[:6], "aGk=", "abc", "[...]", "&lt;b&gt;", [1, 2], 6, 2, ["b"], [1], 2,
        "3.10", 36, True, "a%20b", "q=x+y", "2024-01-02T00:00:00+00:00", True, "UTC", 36]


def test_request_is_read_only_with_attribute_and_mapping_access() -> None:
    request = {"content": {"text": "hi", "items": [1, 2]}, "headers": {"x-a": "1"}}
    body = """
        out = [request.content.text, request['content']['text'], request.content.missing,
               request.get('nope', 'dflt'), list(request.content['items'])]
        for attempt in ('set', 'attr', 'unbound', 'nested'):
            try:
                if attempt == 'set':
                    request['content'] = {}
                elif attempt == 'attr':
                    request.content = {}
                elif attempt == 'unbound':
                    dict.update(request, {'x': 1})
                else:
                    request.content['text'] = 'changed'
                out.append('changed!')
            except TypeError:
                out.append('TypeError')
            except AttributeError:
                out.append('AttributeError')
        copy = request.copy()
        copy['content']['text'] = 'mine'
        out.append(copy['content']['text'])
        return out
    """
    assert run(body, request) == ["hi", "hi", None, "dflt", [1, 2], "TypeError", "TypeError", "AttributeError",
                                  "TypeError", "mine"]
    assert request["content"]["text"] == "hi"


def test_state_in_self_survives_across_calls() -> None:
    script = load("""
        class Script:
            def __init__(self):
                self.count = 0
                self.seen = {}
            def process_incoming_request(self, request):
                self.count += 1
                key = request.content.key
                self.seen[key] = self.seen.get(key, 0) + 1
                return {'count': self.count, 'seen': self.seen}
    """)
    script.call("process_incoming_request", {"request": {"content": {"key": "a"}}})
    script.call("process_incoming_request", {"request": {"content": {"key": "b"}}})
    out = script.call("process_incoming_request", {"request": {"content": {"key": "a"}}})
    assert out == {"count": 3, "seen": {"a": 2, "b": 1}}


def test_store_get_set_and_json_only() -> None:
    env = ScriptEnv("store-test", store=ScriptStore({"n": 1}))
    script = load("""
        class Script:
            def process_incoming_request(self, request):
                v = Store.set('n', Store.get('n') + 1)
                lst = Store.set('list', [1])
                got = Store.get('list')
                got.append(2)          # a copy: the store is unchanged until set()
                try:
                    Store.set('bad', {1, 2})
                    bad = 'stored'
                except TypeError as e:
                    bad = 'refused'
                return [v, Store.get('list'), bad, Store.get('missing')]
    """, env)
    assert script.call("process_incoming_request", {"request": {}}) == [2, [1], "refused", None]
    assert env.store.snapshot() == {"n": 2, "list": [1]}


def test_console_and_print_go_to_the_log() -> None:
    env = ScriptEnv("log-test")
    script = load("""
        class Script:
            def process_incoming_request(self, request):
                console.log('a', 1, {'k': [1]})
                console.info('i')
                console.warn('w')
                console.error('e')
                console.debug('d')
                print('p', 2)
    """, env)
    script.call("process_incoming_request", {"request": {}})
    assert [(r.level, r.message) for r in env.console.take()] == [
        ("log", 'a 1 {"k": [1]}'), ("info", "i"), ("warn", "w"), ("error", "e"), ("debug", "d"), ("log", "p 2")]


def test_http_global_only_when_egress_is_configured() -> None:
    calls: list[tuple[str, str, Any]] = []

    def http(method: str, url: str, options: dict[str, Any] | None) -> dict[str, Any]:
        calls.append((method, url, options))
        return {"result": {"statusCode": 200, "content": "ok"}}

    source = """
        class Script:
            def process_incoming_request(self, request):
                try:
                    return HTTP('GET', 'http://127.0.0.1/x', {'params': {'a': 1}})
                except NameError:
                    return 'no HTTP'
    """
    assert load(source).call("process_incoming_request", {"request": {}}) == "no HTTP"
    out = load(source, ScriptEnv("h", http=http)).call("process_incoming_request", {"request": {}})
    assert out == {"result": {"statusCode": 200, "content": "ok"}}
    assert calls == [("GET", "http://127.0.0.1/x", {"params": {"a": 1}})]


def test_module_state_is_private_to_each_instance() -> None:
    source = """
        import random
        class Script:
            def process_incoming_request(self, request):
                if request.content.seed:
                    random.seed(request.content.seed)
                return random.random()
    """
    a, b = load(source), load(source)
    a.call("process_incoming_request", {"request": {"content": {"seed": 42}}})
    expected = load(source).call("process_incoming_request", {"request": {"content": {"seed": 42}}})
    # b never saw a's seed: reseeding b gives the same first number as a fresh seeded instance
    b_value = b.call("process_incoming_request", {"request": {"content": {"seed": 42}}})
    assert b_value == expected
    after_a = a.call("process_incoming_request", {"request": {"content": {}}})
    after_b = b.call("process_incoming_request", {"request": {"content": {}}})
    assert after_a == after_b  # same seed, same private sequence, no interference


def test_has_method_and_call_of_missing_method() -> None:
    script = load("class Script:\n    def process_incoming_request(self, request):\n        return 1\n")
    assert script.has_method("process_incoming_request")
    assert not script.has_method("prepare_outgoing_request")
    assert not script.has_method("__init__")
    with pytest.raises(AttributeError):
        script.call("prepare_outgoing_request", {"request": {}})


def test_methods_accepting_kwargs() -> None:
    script = load("class Script:\n    def process_outgoing_response(self, **kwargs):\n        return sorted(kwargs)\n")
    assert script.call("process_outgoing_response", {"request": {}, "response": {}}) == ["request", "response"]


# -- compile-time refusals ------------------------------------------------

REFUSED = [
    ("import os", 'import of "os" is not allowed; allowed modules: ' + ", ".join(ALLOWED_MODULES)),
    ("from subprocess import run", 'import of "subprocess" is not allowed'),
    ("import urllib.request", 'import of "urllib.request" is not allowed'),
    ("import collections.abc", 'import of "collections.abc" is not allowed'),
    ("from . import x", "relative imports are not allowed"),
    ("x = ().__class__", '"__class__" is an invalid attribute name because it starts with "_"'),
    ("x = '{0}'.format(1)", '".format()" is not allowed (format strings can traverse attributes); use an f-string'),
    ("x = '{a}'.format_map({})", '".format_map()" is not allowed'),
    ("def g():\n    yield 1\nx = g().gi_frame", '"gi_frame" is a restricted name'),
    ("x = (lambda: 1).func_globals", '"func_globals" is not allowed: frames, code objects'),
    ("def f():\n    pass\nx = f.co_consts", '"co_consts" is not allowed'),
    ("x = type(1)", '"type" is not allowed: type() exposes classes and metaclasses; use isinstance'),
    ("x = vars()", '"vars" is not allowed'),
    ("x = globals()", '"globals" is not allowed'),
    ("x = locals()", '"locals" is not allowed'),
    ("x = dir()", '"dir" is not allowed'),
    ("x = eval('1')", '"eval" is not allowed'),
    ("exec('x = 1')", '"exec" is not allowed'),
    ("x = compile('1', 'f', 'eval')", '"compile" is not allowed'),
    ("x = open('/etc/passwd')", '"open" is not allowed: scripts have no file access'),
    ("x = super()", '"super" is not allowed'),
    ("x = __import__('os')", '"__import__" is an invalid variable name'),
    ("x = __builtins__", '"__builtins__" is an invalid variable name'),
    ("class M(metaclass=list):\n    pass", 'The keyword argument "metaclass" is not allowed'),
    ("async def f():\n    pass", "AsyncFunctionDef statements are not allowed"),
    ("def f():\n    x = 1\n    def g():\n        nonlocal x\n", "Nonlocal statements are not allowed"),
    ("try:\n    pass\nexcept* ValueError:\n    pass", "TryStar statements are not allowed"),
    ("_secret = 1", '"_secret" is an invalid variable name'),
    ("class A:\n    def __getattribute__(self, n):\n        return 1", '"__getattribute__" is an invalid variable name'),
    ("class A:\n    def f(self):\n        self._x += 1", '"_x" is an invalid attribute name'),
]


@pytest.mark.parametrize(("source", "message"), REFUSED, ids=[r[0].splitlines()[-1][:40] for r in REFUSED])
def test_refused_constructs_name_what_is_refused(source: str, message: str) -> None:
    error = compile_error(source + "\nclass Script:\n    pass\n")
    assert message in error.message
    assert error.filename == "bad.py"
    assert error.line is not None and error.line >= 1
    assert error.status == 400 and error.error == "error-evaluating-script"


def test_compile_errors_name_file_and_line() -> None:
    error = compile_error("class Script:\n    def f(self):\n        return (\n")
    assert error.filename == "bad.py" and error.line is not None and error.line >= 3
    assert "SyntaxError" in error.message
    assert str(error).startswith("bad.py:")

    error = compile_error("x = 1\n\n\nimport socket\nclass Script:\n    pass\n")
    assert (error.filename, error.line) == ("bad.py", 4)
    assert str(error).startswith("bad.py:4: ")


def test_missing_script_class_is_a_compile_error() -> None:
    error = compile_error("class Scrpt:\n    pass\n")
    assert "no `class Script` defined" in error.message
    with pytest.raises(ScriptCompileError, match="must be a class defined in the script"):
        load("Script = 5\n")


def test_several_problems_are_all_listed() -> None:
    error = compile_error("import os\nimport sys\nclass Script:\n    pass\n")
    assert '"os"' in error.message and '"sys"' in error.message and error.line == 1


# -- runtime guards -------------------------------------------------------

RUNTIME_REFUSED = [
    ("write to a module", "import json\njson.dumps = None", TypeError, "cannot change module"),
    ("write to a function", "def f():\n    pass\nf.x = 1", TypeError, "cannot change function f"),
    ("write to a class", "class A:\n    pass\nA.x = 1", TypeError, "cannot change class A"),
    ("write to a builtin type", "list.x = 1", TypeError, "cannot change class"),
    ("write to an exception's attribute", "e = ValueError('x')\ne.args = ()", TypeError, "cannot change a ValueError"),
    ("getattr of a private name", "getattr(1, '__class__')", AttributeError, 'starts with "_"'),
    ("getattr of format", "getattr('{0.__class__}', 'format')", AttributeError, "use an f-string"),
    ("getattr of a frame attribute", "def g():\n    yield 1\ngetattr(g(), 'gi_frame')", AttributeError,
     "frames, code objects"),
    ("missing attribute raises", "class A:\n    pass\nA().nothing", AttributeError, "nothing"),
    ("unbound mutating method of a builtin type", "dict.update({}, {})", AttributeError, "cannot be used unbound"),
    ("unbound mutator through a subclass", "class D(dict):\n    pass\nD.update({}, {})", AttributeError,
     "cannot be used unbound"),
    ("time.sleep", "import time\ntime.sleep(1)", AttributeError, "time.sleep is not available"),
    ("string.Formatter", "import string\nstring.Formatter", AttributeError, "string.Formatter is not available"),
    ("print to a file", "print('x', file=console)", TypeError, "print(file=...) is not available"),
    ("iterate a module", "import json\nfor x in json:\n    pass", TypeError, "is not iterable"),
    ("exception .obj", "try:\n    (1).nope\nexcept AttributeError as e:\n    e.obj", AttributeError, '"obj" of exceptions'),
]


@pytest.mark.parametrize(("what", "body", "exc", "message"), RUNTIME_REFUSED, ids=[r[0] for r in RUNTIME_REFUSED])
def test_runtime_guards_refuse_with_a_clear_message(what: str, body: str, exc: type, message: str) -> None:
    with pytest.raises(exc, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        run(body)


def test_allowed_writes() -> None:
    body = """
        from collections import OrderedDict, deque
        class Box:
            pass
        b = Box()
        b.value = 1
        b.value += 1
        d, l, s, od, dq = {}, [0], set(), OrderedDict(), deque()
        d['k'] = 1
        d['k'] += 1
        l[0] = 5
        s.add(1)
        od['x'] = 1
        dq.append(1)
        del d['k']
        return [b.value, d, l, sorted(s), list(od), list(dq)]
    """
    assert run(body) == [2, {}, [5], [1], ["x"], [1]]


def test_store_has_a_total_size_limit() -> None:
    env = ScriptEnv("store-limit")
    script = load("""
        class Script:
            def process_incoming_request(self, request):
                for i in range(10):
                    Store.set(str(i), 'x' * (200 * 1024))
    """, env)
    with pytest.raises(ValueError, match="the Store would exceed 1048576 bytes"):
        script.call("process_incoming_request", {"request": {}})
    assert sorted(env.store.snapshot()) == ["0", "1", "2", "3", "4"]
