// Modern syntax a Rocket.Chat script may use; one case per request.content.case.
const pick = ({ a, b = 'default-b', ...rest }) => ({ a, b, rest });

class Script {
  constructor() {
    this.calls = 0;
  }

  get label() {
    return `features#${this.calls}`;
  }

  process_incoming_request({ request }) {
    this.calls += 1;
    const { content: { case: which, ...input } } = request;
    const cases = {
      template: () => `Hello ${input.name.toUpperCase()}, ${1 + 2} items`,
      arrows: () => input.numbers.map((n) => n * 2).filter((n) => n > 2).reduce((x, y) => x + y, 0),
      spread: () => ({ ...input.base, ...input.extra, list: [...input.base.list, ...input.extra.list] }),
      destructure: () => pick(input),
      optional: () => [input.user?.profile?.email ?? 'no email', input.missing?.deep?.value, input.fn?.()],
      regex: () => {
        const m = input.text.match(/(?<project>[A-Z]+)-(?<number>\d+)/);
        const price = input.text.match(/(?<=\$)\d+(\.\d+)?/);
        return { ...m.groups, price: price[0], notAfterDollar: input.text.replace(/(?<!\$)\b\d+\b/g, '#') };
      },
      iterate: () => {
        const out = [];
        for (const [key, value] of Object.entries(input.map)) out.push(`${key}=${value}`);
        return [...new Set(input.dupes)].concat(out);
      },
      json: () => JSON.parse(input.raw).nested.value,
      state: () => this.label,
      dates: () => new Date(Date.UTC(2026, 10, 26, 8, 30)).toISOString(),
      request: () => request,
    };
    return { content: { text: 'ok', result: cases[which]() } };
  }
}
