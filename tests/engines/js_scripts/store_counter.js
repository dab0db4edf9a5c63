// Store keeps small state across calls (and survives a rebuilt context).
class Script {
  constructor() {
    this.seen = 0;
  }

  process_incoming_request({ request }) {
    this.seen += 1;
    const count = (Store.get('count') || 0) + 1;
    Store.set('count', count);
    const last = Store.get('last');
    Store.set('last', { from: request.content.from, at: count });
    console.info(`call ${count}, previous sender`, last);
    return { content: { text: `call ${count}`, previous: last ?? null, seen: this.seen } };
  }
}
