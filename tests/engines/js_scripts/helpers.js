// Rocket.Chat's `s` (underscore.string subset) and `_` (underscore) helpers.
class Script {
  process_incoming_request({ request }) {
    const text = request.content.text;
    return {
      content: {
        text: 'helpers',
        s: {
          truncate: s.truncate(text, 10),
          truncateCustom: s.truncate(text, 5, ' [more]'),
          truncateShort: s.truncate('short', 10),
          trim: s.trim('  padded \n'),
          trimChars: s.trim('--=title=--', '-='),
          ltrim: s.ltrim('  left  '),
          ltrimChars: s.ltrim('xxabcxx', 'x'),
          rtrim: s.rtrim('  right  '),
          rtrimChars: s.rtrim('path///', '/'),
          capitalize: s.capitalize('hello World'),
          capitalizeLower: s.capitalize('hELLO World', true),
          stripTags: s.stripTags('<p>Hello <b>bold</b><br/> world</p>'),
          strLeft: s.strLeft('refs/heads/main', '/'),
          strLeftMissing: s.strLeft('nodelimiter', '/'),
          strRight: s.strRight('refs/heads/feature/x', 'refs/heads/'),
          strRightMissing: s.strRight('nodelimiter', '/'),
          strRightBack: s.strRightBack('refs/heads/feature/x', '/'),
          strLeftBack: s.strLeftBack('a.b.c', '.'),
          numberFormat: s.numberFormat(1234567.891, 2),
          numberFormatSeps: s.numberFormat(1234567.891, 2, ',', '.'),
          numberFormatInt: s.numberFormat(1000),
          numberFormatNeg: s.numberFormat(-9876.5, 1),
          numberFormatBad: s.numberFormat('abc'),
          pad: s.pad('1', 8, '0'),
          padRight: s.pad('1', 5, '-', 'right'),
          padBoth: s.pad('1', 5, '*', 'both'),
          padLong: s.pad('toolong', 3),
          lrpad: s.lrpad('ab', 6, '.'),
          nulls: [s.trim(null), s.truncate(undefined, 3), s.capitalize(null)],
          escapeHTML: s.escapeHTML('<a href="x">&</a>'),
        },
        _: {
          map: _.map([1, 2, 3], (n) => n * 10),
          pluck: _.pluck([{ name: 'a' }, { name: 'b' }], 'name'),
          groupBy: _.groupBy(['apple', 'avocado', 'banana'], (w) => w[0]),
          sortBy: _.sortBy([{ n: 3 }, { n: 1 }, { n: 2 }], 'n').map((o) => o.n),
          uniq: _.uniq([1, 1, 2, 3, 3]),
          pick: _.pick({ a: 1, b: 2, c: 3 }, 'a', 'c'),
          keys: _.keys({ x: 1, y: 2 }),
          isEmpty: [_.isEmpty({}), _.isEmpty([1])],
          template: _.template('Hi <%= name %>!')({ name: 'Ann' }),
          escape: _.escape('<b>'),
          find: _.find([1, 5, 10], (n) => n > 3),
          version: _.VERSION,
        },
      },
    };
  }
}
