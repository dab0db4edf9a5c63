// The `s` global: the underscore.string helpers Rocket.Chat gave integration
// scripts.  Written for hookhub; every helper accepts null/undefined as ''.
(function (global) {
  'use strict';

  function str(value) {
    return value === null || value === undefined ? '' : String(value);
  }

  function escapeForClass(chars) {
    return String(chars).replace(/[-\\^$*+?.()|[\]{}\/]/g, '\\$&');
  }

  function trimPattern(characters, where) {
    const set = characters === undefined || characters === null
      ? '\\s'
      : escapeForClass(characters);
    if (where === 'left') return new RegExp('^[' + set + ']+');
    if (where === 'right') return new RegExp('[' + set + ']+$');
    return new RegExp('^[' + set + ']+|[' + set + ']+$', 'g');
  }

  function repeat(text, times) {
    return times > 0 ? text.repeat(times) : '';
  }

  const s = {
    truncate(text, length, ending) {
      text = str(text);
      ending = ending ? str(ending) : '...';
      length = ~~length;
      return text.length > length ? text.slice(0, length) + ending : text;
    },
    trim(text, characters) {
      text = str(text);
      if (characters === undefined || characters === null) return text.trim();
      return text.replace(trimPattern(characters, 'both'), '');
    },
    ltrim(text, characters) {
      text = str(text);
      if (characters === undefined || characters === null) return text.trimStart();
      return text.replace(trimPattern(characters, 'left'), '');
    },
    rtrim(text, characters) {
      text = str(text);
      if (characters === undefined || characters === null) return text.trimEnd();
      return text.replace(trimPattern(characters, 'right'), '');
    },
    capitalize(text, lowercaseRest) {
      text = str(text);
      const rest = text.slice(1);
      return text.charAt(0).toUpperCase() + (lowercaseRest ? rest.toLowerCase() : rest);
    },
    stripTags(text) {
      return str(text).replace(/<\/?[^>]+>/g, '');
    },
    strLeft(text, separator) {
      text = str(text);
      separator = str(separator);
      const at = separator ? text.indexOf(separator) : -1;
      return at === -1 ? text : text.slice(0, at);
    },
    strLeftBack(text, separator) {
      text = str(text);
      separator = str(separator);
      const at = separator ? text.lastIndexOf(separator) : -1;
      return at === -1 ? text : text.slice(0, at);
    },
    strRight(text, separator) {
      text = str(text);
      separator = str(separator);
      const at = separator ? text.indexOf(separator) : -1;
      return at === -1 ? text : text.slice(at + separator.length);
    },
    strRightBack(text, separator) {
      text = str(text);
      separator = str(separator);
      const at = separator ? text.lastIndexOf(separator) : -1;
      return at === -1 ? text : text.slice(at + separator.length);
    },
    numberFormat(number, decimals, decimalSeparator, thousandsSeparator) {
      if (number === null || number === undefined || number === '' || isNaN(number)) return '';
      const fixed = Number(number).toFixed(Math.max(0, Math.trunc(Number(decimals) || 0)));
      const negative = fixed.startsWith('-');
      const [whole, fraction] = (negative ? fixed.slice(1) : fixed).split('.');
      const thousands = typeof thousandsSeparator === 'string' ? thousandsSeparator : ',';
      const point = decimalSeparator ? String(decimalSeparator) : '.';
      const grouped = whole.replace(/\B(?=(\d{3})+$)/g, thousands);
      return (negative ? '-' : '') + grouped + (fraction ? point + fraction : '');
    },
    pad(text, length, padding, type) {
      text = str(text);
      length = Math.floor(Number(length)) || 0;
      padding = padding === undefined || padding === null || padding === '' ? ' ' : str(padding).charAt(0);
      const missing = length - text.length;
      if (missing <= 0) return text;
      if (type === 'right') return text + repeat(padding, missing);
      if (type === 'both') {
        const left = Math.ceil(missing / 2);
        return repeat(padding, left) + text + repeat(padding, missing - left);
      }
      return repeat(padding, missing) + text;
    },
    lpad(text, length, padding) {
      return s.pad(text, length, padding, 'left');
    },
    rpad(text, length, padding) {
      return s.pad(text, length, padding, 'right');
    },
    lrpad(text, length, padding) {
      return s.pad(text, length, padding, 'both');
    },
    escapeHTML(text) {
      const map = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
      return str(text).replace(/[&<>"']/g, (c) => map[c]);
    },
    unescapeHTML(text) {
      const map = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", nbsp: '\u00a0' };
      return str(text).replace(/&(amp|lt|gt|quot|#39|apos|nbsp);/g, (_m, name) => map[name]);
    },
    startsWith(text, prefix) {
      return str(text).startsWith(str(prefix));
    },
    endsWith(text, suffix) {
      return str(text).endsWith(str(suffix));
    },
    include(text, needle) {
      return str(text).includes(str(needle));
    },
    isBlank(text) {
      return /^\s*$/.test(str(text));
    },
    lines(text) {
      return str(text).split(/\r\n?|\n/);
    },
    clean(text) {
      return s.trim(text).replace(/\s\s+/g, ' ');
    },
    words(text, delimiter) {
      text = str(text);
      if (/^\s*$/.test(text)) return [];
      return s.trim(text, delimiter).split(delimiter === undefined || delimiter === null ? /\s+/ : delimiter);
    },
    titleize(text) {
      return str(text).toLowerCase().replace(/(?:^|\s|-)\S/g, (c) => c.toUpperCase());
    },
    repeat(text, times, separator) {
      times = ~~times;
      if (separator === undefined || separator === null) return repeat(str(text), times);
      return Array.from({ length: Math.max(0, times) }, () => str(text)).join(str(separator));
    },
    count(text, needle) {
      text = str(text);
      needle = str(needle);
      return needle ? text.split(needle).length - 1 : 0;
    },
    toNumber(value, precision) {
      if (value === null || value === undefined) return 0;
      const factor = Math.pow(10, Number.isFinite(precision) ? precision : 0);
      return Math.round(value * factor) / factor;
    },
    surround(text, wrapper) {
      return [wrapper, text, wrapper].map(str).join('');
    },
    quote(text, quoteChar) {
      return s.surround(text, quoteChar || '"');
    },
  };
  s.contains = s.include;

  Object.freeze(s);
  Object.defineProperty(global, 's', { value: s, writable: true, configurable: true });
})(globalThis);
