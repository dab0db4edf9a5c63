// hookhub's JavaScript prelude: Rocket.Chat's script globals and the harness
// that loads and calls the Script instance.
//
// QuickJS refuses calls into Python while a time limit is set, so `console`
// and `Store` never call Python: console records and Store writes are
// buffered here and collected by hookhub/engines/javascript.py after each
// call (__hookhub_take), and the Store contents are pushed in before a call
// (__hookhub_store_load).  Only HTTP() and plugin helpers call Python, through
// the __hookhub_bridge_* functions; every value crossing over is JSON text.
(function (global) {
  'use strict';

  const bridge = {};
  for (const name of ['http', 'extra']) {
    bridge[name] = global['__hookhub_bridge_' + name];
    delete global['__hookhub_bridge_' + name];
  }

  function define(name, value) {
    Object.defineProperty(global, name, { value, writable: false, enumerable: false, configurable: false });
  }

  // Rocket.Chat's isolated-vm engine names the global object `global`, as Node does
  Object.defineProperty(global, 'global', { value: global, writable: true, configurable: true });

  // -- errors -------------------------------------------------------------

  function formatError(error) {
    if (error instanceof Error) {
      const head = error.name + (error.message ? ': ' + error.message : '');
      const stack = typeof error.stack === 'string' ? error.stack : '';
      if (stack.startsWith(head)) return stack;  // V8-style stack (v8compat.js): the header comes first
      return stack ? head + '\n' + stack : head;
    }
    try {
      return 'uncaught value: ' + JSON.stringify(error);
    } catch (_e) {
      return 'uncaught value: ' + String(error);
    }
  }

  // -- console --------------------------------------------------------------

  function loggable(value) {
    if (value === undefined) return 'undefined';
    if (typeof value === 'function') return '[Function' + (value.name ? ': ' + value.name : '') + ']';
    if (typeof value === 'symbol' || typeof value === 'bigint') return String(value);
    if (value instanceof Error) return formatError(value);
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
    if (value !== null && typeof value === 'object') {
      try {
        return JSON.parse(JSON.stringify(value));
      } catch (_e) {
        return String(value);
      }
    }
    return value;
  }

  // printf-style substitutions of Node's console (util.format): %s %d %i %f %j %o %O %c %%
  function substitute(args) {
    if (typeof args[0] !== 'string' || args[0].indexOf('%') === -1) return args;
    let next = 1;
    const text = args[0].replace(/%([sdifjoOc%])/g, (all, kind) => {
      if (kind === '%') return '%';
      if (next >= args.length) return all;
      const value = args[next++];
      switch (kind) {
        case 's':
          if (value === null || typeof value !== 'object') return String(value);
          try { return JSON.stringify(value); } catch (_e) { return String(value); }
        case 'd': case 'i': {
          const n = Number(value);
          return String(kind === 'i' ? Math.trunc(n) : n);
        }
        case 'f': return String(parseFloat(value));
        case 'c': return '';
        default:
          try { return JSON.stringify(value); } catch (_e) { return String(value); }
      }
    });
    return [text, ...args.slice(next)];
  }

  const MAX_LOG_RECORDS = 1000;
  let logs = [];
  let logsDropped = 0;
  function record(level, args) {
    if (logs.length >= MAX_LOG_RECORDS) {
      logsDropped += 1;
      return;
    }
    logs.push([level, substitute(args).map(loggable)]);
  }
  const console = {};
  for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
    console[level] = function (...args) { record(level, args); };
  }
  // the rest of Node's console (Rocket.Chat passes its whole console to scripts)
  console.trace = console.debug;
  console.dir = console.log;
  console.dirxml = console.log;
  console.table = console.log;
  console.group = console.log;
  console.groupCollapsed = console.log;
  console.groupEnd = function () {};
  console.assert = function (condition, ...args) {
    if (!condition) record('error', ['Assertion failed' + (args.length ? ':' : ''), ...args]);
  };
  const counts = new Map();
  console.count = function (label = 'default') {
    const n = (counts.get(String(label)) || 0) + 1;
    counts.set(String(label), n);
    record('info', [String(label) + ': ' + n]);
  };
  console.countReset = function (label = 'default') { counts.delete(String(label)); };
  const started = new Map();
  console.time = function (label = 'default') { started.set(String(label), Date.now()); };
  console.timeLog = function (label = 'default', ...args) {
    const at = started.get(String(label));
    if (at !== undefined) record('info', [String(label) + ': ' + (Date.now() - at) + 'ms', ...args]);
  };
  console.timeEnd = function (label = 'default') {
    console.timeLog(label);
    started.delete(String(label));
  };
  Object.freeze(console);
  Object.defineProperty(global, 'console', { value: console, writable: true, configurable: true });

  // -- Store -----------------------------------------------------------------

  // As in Rocket.Chat, Store.get hands out the stored object itself: changing it
  // changes the Store (such changes are found and saved after each call).
  let storeData = Object.create(null);  // key -> JSON text
  let storeLive = new Map();  // key -> the object handed out by get() or given to set()
  let storeWrites = [];
  function remember(key, value) {
    if (value !== null && typeof value === 'object') storeLive.set(key, value);
    else storeLive.delete(key);
  }
  const Store = Object.freeze({
    get(key) {
      key = String(key);
      if (storeLive.has(key)) return storeLive.get(key);
      const raw = storeData[key];
      if (raw === undefined) return undefined;
      const value = JSON.parse(raw);
      remember(key, value);
      return value;
    },
    set(key, value) {
      key = String(key);
      let raw = JSON.stringify(value);
      if (raw === undefined) raw = 'null';
      storeData[key] = raw;
      storeWrites.push([key, raw]);
      remember(key, value);
      return value;
    },
  });
  Object.defineProperty(global, 'Store', { value: Store, writable: true, configurable: true });

  define('__hookhub_store_load', function __hookhub_store_load(json) {
    const data = JSON.parse(json);
    storeData = Object.create(null);
    storeLive = new Map();
    for (const key of Object.keys(data)) storeData[key] = JSON.stringify(data[key]);
  });

  define('__hookhub_take', function __hookhub_take() {
    for (const [key, value] of storeLive) {
      let raw;
      try {
        raw = JSON.stringify(value);
      } catch (_e) {
        continue;  // a cycle: the last value set stays
      }
      if (raw !== undefined && raw !== storeData[key]) {
        storeData[key] = raw;
        storeWrites.push([key, raw]);
      }
    }
    const out = JSON.stringify({ logs, dropped: logsDropped, writes: storeWrites });
    logs = [];
    logsDropped = 0;
    storeWrites = [];
    return out;
  });

  // -- HTTP (synchronous, as older Rocket.Chat versions offered) -------------

  function HTTP(method, url, options) {
    const raw = bridge.http(
      String(method === undefined ? 'GET' : method).toUpperCase(),
      String(url),
      JSON.stringify(options === undefined || options === null ? {} : options),
    );
    return JSON.parse(raw);
  }
  Object.defineProperty(global, 'HTTP', { value: HTTP, writable: true, configurable: true });

  // -- timers: ordered by delay, run when the job queue is empty (no real wait)

  const timers = [];
  let timerSeq = 0;
  function setTimeout(callback, delay, ...args) {
    if (typeof callback !== 'function') throw new TypeError('setTimeout: callback must be a function');
    const id = ++timerSeq;
    timers.push({ id, due: Math.max(0, Number(delay) || 0), seq: id, callback, args });
    timers.sort((a, b) => a.due - b.due || a.seq - b.seq);
    return id;
  }
  function clearTimeout(id) {
    const at = timers.findIndex((t) => t.id === id);
    if (at !== -1) timers.splice(at, 1);
  }
  for (const [name, value] of [['setTimeout', setTimeout], ['clearTimeout', clearTimeout]]) {
    Object.defineProperty(global, name, { value, writable: true, configurable: true });
  }

  // -- moment: evaluated on first use (it would double the start-up time) ----

  const momentSource = global.__hookhub_moment_source;
  delete global.__hookhub_moment_source;
  Object.defineProperty(global, 'moment', {
    configurable: true,
    get() {
      delete global.moment;
      (0, eval)(momentSource);  // UMD: defines the global `moment`
      return global.moment;
    },
    set(value) {
      Object.defineProperty(global, 'moment', { value, writable: true, configurable: true });
    },
  });

  // -- extra helpers from hookhub_sandbox_globals plugins --------------------

  define('__hookhub_extra', function __hookhub_extra(name) {
    const helper = function (...args) {
      const raw = bridge.extra(name, JSON.stringify(args.map(loggable)));
      const reply = JSON.parse(raw);
      if ('error' in reply) throw new Error(name + ': ' + reply.error);
      return reply.value;
    };
    Object.defineProperty(global, name, { value: helper, writable: true, configurable: true });
  });

  // -- sloppy-mode scope ------------------------------------------------------
  // Scripts are evaluated inside `with (scope) { ... }`.  Class bodies are
  // strict, so an assignment to an undeclared name would throw ReferenceError;
  // through this proxy the name resolves and the assignment creates a global,
  // exactly what sloppy (Babel-transpiled) code did in Rocket.Chat.  Names
  // that exist on the global object are not claimed, so lookups of real
  // globals skip the proxy after the first check.
  let declared = new Set();  // `var` names of a script evaluated as a function body
  const scope = new Proxy(Object.create(null), {
    has(_target, key) {
      return typeof key === 'string' && !(key in global) && !declared.has(key);
    },
    get(_target, key) {
      return typeof key === 'string' ? global[key] : undefined;
    },
    set(_target, key, value) {
      global[key] = value;
      return true;
    },
    deleteProperty(_target, key) {
      return delete global[key];
    },
  });
  define('__hookhub_scope', scope);

  // -- the harness --------------------------------------------------------------

  let instance = null;
  let pending = null;

  function encode(method, value) {
    let text;
    try {
      text = JSON.stringify({ status: 'ok', value });
    } catch (e) {
      throw new TypeError('the value returned by Script.' + method + ' is not JSON data: ' + e.message);
    }
    return text;
  }

  // `code` is the wrapped script (js_source.py): global sloppy code whose value is
  // the Script class, or (with a top-level `return`, when `varNames` is the JSON
  // list of its `var` names) a function of the scope.
  define('__hookhub_load', function __hookhub_load(code, varNames) {
    let Script = (0, eval)(code);
    if (varNames) {
      declared = new Set(JSON.parse(varNames));
      Script = Script(scope);
    }
    if (typeof Script !== 'function') return 'no-script';
    instance = new Script();
    return 'ok';
  });

  // For stacks (v8compat.js): V8 prints a method of the Script instance as `Script.name`.
  define('__hookhub_method_owner', function __hookhub_method_owner(fn, name) {
    for (let o = instance === null ? null : Object.getPrototypeOf(instance); o && o !== Object.prototype;
      o = Object.getPrototypeOf(o)) {
      const found = Object.getOwnPropertyDescriptor(o, name);
      if (found !== undefined && found.value === fn) return instance.constructor.name || null;
    }
    return null;
  });

  define('__hookhub_methods', function __hookhub_methods() {
    const names = new Set();
    for (let o = instance; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const name of Object.getOwnPropertyNames(o)) {
        if (name !== 'constructor' && typeof instance[name] === 'function') names.add(name);
      }
    }
    return JSON.stringify([...names]);
  });

  define('__hookhub_invoke', function __hookhub_invoke(method, argsJson) {
    pending = null;
    timers.length = 0;
    const fn = instance === null ? undefined : instance[method];
    if (typeof fn !== 'function') return '{"status":"missing"}';
    const result = fn.call(instance, JSON.parse(argsJson));
    if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
      const box = { state: 'pending', method };
      pending = box;
      Promise.resolve(result).then(
        (value) => { box.state = 'ok'; box.value = value; },
        (error) => { box.state = 'error'; box.error = error; },
      );
      return '{"status":"pending"}';
    }
    return encode(method, result);
  });

  define('__hookhub_settle', function __hookhub_settle() {
    const box = pending;
    if (box === null) return '{"status":"missing"}';
    if (box.state === 'pending') {
      const timer = timers.shift();
      if (timer === undefined) return '{"status":"stuck"}';
      timer.callback(...timer.args);
      return '{"status":"pending"}';
    }
    pending = null;
    if (box.state === 'ok') return encode(box.method, box.value);
    return JSON.stringify({ status: 'error', error: formatError(box.error) });
  });
})(globalThis);
