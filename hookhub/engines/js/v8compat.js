// What scripts print that should read as it does in Rocket.Chat's V8:
//
// * error stacks: "TypeError: message\n    at method (script.js:12:20)", with only
//   the script's own frames.  QuickJS calls Error.prepareStackTrace (V8's API)
//   when an error is made; the script's lines start after LINE_OFFSET lines of
//   wrapper (hookhub/engines/js_source.py), anything at or above is hookhub's.
// * Date.prototype.toString / toTimeString with the zone name in parentheses.
(function (global) {
  'use strict';

  const setup = JSON.parse(global.__hookhub_setup);
  delete global.__hookhub_setup;
  const { filename, lineOffset, zone } = setup;

  function header(error) {
    try {
      return String(error);
    } catch (_e) {
      return 'Error';
    }
  }

  function owner(site, name) {
    try {
      return global.__hookhub_method_owner(site.getFunction(), name);
    } catch (_e) {
      return null;
    }
  }

  function prepareStackTrace(error, sites) {
    const lines = [header(error)];
    for (const site of sites) {
      const line = site.getLineNumber();
      if (site.getFileName() !== '<input>' || !(line > lineOffset)) continue;
      const where = filename + ':' + (line - lineOffset) + ':' + site.getColumnNumber();
      let name = site.getFunctionName();
      if (!name || name === '<eval>' || name === '<anonymous>') {
        lines.push('    at ' + where);
        continue;
      }
      const type = owner(site, name);
      if (type) name = type + '.' + name;
      lines.push('    at ' + name + ' (' + where + ')');
    }
    return lines.join('\n');
  }
  Error.prepareStackTrace = prepareStackTrace;  // an accessor in QuickJS: assigned, not defined

  // -- Date: "Thu Jan 01 1970 01:00:00 GMT+0100 (CET)"; UTC is "Coordinated Universal Time" as in V8
  function zoneName(date) {
    if (zone.utc) return 'Coordinated Universal Time';
    const year = date.getFullYear();
    const standard = Math.max(new Date(year, 0, 1).getTimezoneOffset(), new Date(year, 6, 1).getTimezoneOffset());
    return date.getTimezoneOffset() < standard ? zone.dst : zone.std;
  }
  for (const name of ['toString', 'toTimeString']) {
    const native = Date.prototype[name];
    const replacement = {
      [name]() {
        const text = native.call(this);
        return text === 'Invalid Date' ? text : text + ' (' + zoneName(this) + ')';
      },
    }[name];
    Object.defineProperty(Date.prototype, name, { value: replacement, writable: true, configurable: true });
  }
  // `Date()` called without `new` is the current time as a string, in the same format
  const NativeDate = Date;
  const DateProxy = new Proxy(NativeDate, { apply() { return new NativeDate().toString(); } });
  Object.defineProperty(global, 'Date', { value: DateProxy, writable: true, configurable: true });
})(globalThis);
