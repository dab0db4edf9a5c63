// fetch(url, options): the Fetch API subset Rocket.Chat 6/7 scripts use
// (`const res = await fetch(url, { method, headers, body }); res.ok; await res.json()`).
//
// Every request goes through the same Python function as HTTP() (egress policy
// of the integration: http.allow_hosts, private addresses, redirects, 1 MiB
// cap, timeout).  It is synchronous underneath: the Promise settles at once.
// As in Node, an HTTP error status resolves (res.ok is false); a refused or
// failed request rejects with a TypeError.
(function (global) {
  'use strict';

  const bridge = global.__hookhub_bridge_fetch;
  delete global.__hookhub_bridge_fetch;

  function define(name, value) {
    Object.defineProperty(global, name, { value, writable: true, configurable: true });
  }

  class Headers {
    #map = new Map();

    constructor(init) {
      if (init === undefined || init === null) return;
      if (init instanceof Headers) {
        init.forEach((value, name) => this.append(name, value));
      } else if (Array.isArray(init) || typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) this.append(pair[0], pair[1]);
      } else {
        for (const name of Object.keys(init)) this.append(name, init[name]);
      }
    }

    append(name, value) {
      const key = String(name).toLowerCase();
      const old = this.#map.get(key);
      this.#map.set(key, old === undefined ? String(value) : old + ', ' + String(value));
    }

    set(name, value) { this.#map.set(String(name).toLowerCase(), String(value)); }

    get(name) {
      const value = this.#map.get(String(name).toLowerCase());
      return value === undefined ? null : value;
    }

    has(name) { return this.#map.has(String(name).toLowerCase()); }

    delete(name) { this.#map.delete(String(name).toLowerCase()); }

    forEach(callback, thisArg) {
      for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
    }

    * entries() { yield* [...this.#map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); }

    * keys() { for (const [name] of this.entries()) yield name; }

    * values() { for (const [, value] of this.entries()) yield value; }

    [Symbol.iterator]() { return this.entries(); }

    get [Symbol.toStringTag]() { return 'Headers'; }
  }

  class Response {
    #body;
    #used = false;

    constructor(body, init = {}) {
      this.#body = body === undefined || body === null ? '' : String(body);
      this.status = init.status === undefined ? 200 : Number(init.status);
      this.statusText = init.statusText === undefined ? '' : String(init.statusText);
      this.ok = this.status >= 200 && this.status <= 299;
      this.headers = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
      this.url = init.url === undefined ? '' : String(init.url);
      this.redirected = false;
      this.type = 'basic';
    }

    get bodyUsed() { return this.#used; }

    async text() {
      if (this.#used) throw new TypeError('Body is unusable: Body has already been read');
      this.#used = true;
      return this.#body;
    }

    async json() { return JSON.parse(await this.text()); }

    clone() {
      if (this.#used) throw new TypeError('Response.clone: Body has already been consumed.');
      return new Response(this.#body, { status: this.status, statusText: this.statusText,
        headers: new Headers(this.headers), url: this.url });
    }

    get [Symbol.toStringTag]() { return 'Response'; }
  }

  function requestOptions(init) {
    const headers = {};
    new Headers(init.headers).forEach((value, name) => { headers[name] = value; });
    const options = { headers, followRedirects: init.redirect !== 'manual' && init.redirect !== 'error' };
    if (init.body !== undefined && init.body !== null) options.content = String(init.body);
    if (init.timeout !== undefined) options.timeout = Number(init.timeout);  // node-fetch's option
    return options;
  }

  async function fetch(input, init) {
    init = init === undefined || init === null ? {} : init;
    let url = input;
    if (input !== null && typeof input === 'object' && !(input instanceof String) && 'url' in input) {
      url = input.url;  // a Request-like object
      init = { method: input.method, headers: input.headers, body: input.body, ...init };
    }
    url = String(url);
    const method = String(init.method === undefined ? 'GET' : init.method).toUpperCase();
    const reply = JSON.parse(bridge(method, url, JSON.stringify(requestOptions(init))));
    const result = reply.result;
    if (!result) {
      const error = new TypeError('fetch failed: ' + reply.error);
      error.cause = new Error(reply.error);
      throw error;
    }
    return new Response(result.content, { status: result.statusCode, statusText: result.statusText,
      headers: result.headers, url });
  }

  define('fetch', fetch);
  define('Headers', Headers);
  define('Response', Response);
})(globalThis);
