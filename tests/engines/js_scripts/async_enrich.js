// async methods and Promises are awaited by the engine.
const delay = (ms, value) => new Promise((resolve) => setTimeout(() => resolve(value), ms));

class Script {
  async process_incoming_request({ request }) {
    const order = [];
    const slow = delay(30, 'slow').then((v) => { order.push(v); return v; });
    const fast = delay(10, 'fast').then((v) => { order.push(v); return v; });
    const both = await Promise.all([slow, fast]);
    const name = await this.lookup(request.content.id);
    return { content: { text: `${name}: ${both.join('+')}`, order } };
  }

  async lookup(id) {
    await null;
    return `item-${id}`;
  }

  async prepare_outgoing_request({ request }) {
    await delay(1);
    throw new TypeError(`cannot prepare ${request.url}`);
  }

  process_outgoing_response({ request, response }) {
    return Promise.resolve({ content: { text: `${request.url} answered ${response.status_code}` } });
  }
}
