// Scripts that misbehave; the engine must contain them and stay usable.
class Script {
  process_incoming_request({ request }) {
    return { content: { text: `still alive ${request.content.n}` } };
  }

  spin() {
    for (;;) {}
  }

  async spin_async() {
    await null;
    while (true) {}
  }

  hog() {
    const hoard = [];
    for (;;) hoard.push('x'.repeat(1024) + hoard.length);
  }

  hog_string() {
    let text = 'x';
    for (;;) text += text;
  }

  recurse(n) {
    return this.recurse(n + 1) + 1;
  }

  never() {
    return new Promise(() => {});
  }
}
