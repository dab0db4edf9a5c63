// Written for hookhub's tests in the style of Rocket.Chat 6/7 (isolated-vm) scripts:
// async methods, await fetch(), the Response's status, ok, headers, json() and text().
class Script {
  async lookup(base, user) {
    const res = await fetch(`${base}/users/${encodeURIComponent(user)}?expand=teams`, {
      headers: { Authorization: 'token abc', Accept: 'application/json' },
    });
    if (!res.ok) {
      return { failed: `${res.status} ${res.statusText}: ${await res.text()}` };
    }
    return { user: await res.json(), limit: res.headers.get('X-RateLimit-Remaining') };
  }

  async process_incoming_request({ request }) {
    const { api, user } = request.content;
    let found;
    try {
      found = await this.lookup(api, user);
    } catch (e) {
      console.error('lookup failed', e.message);
      return { content: { text: `lookup failed: ${e.message}` } };
    }
    if (found.failed) return { content: { text: found.failed } };
    const posted = await fetch(`${api}/audit`, {
      method: 'post',
      headers: new Headers([['Content-Type', 'application/json']]),
      body: JSON.stringify({ seen: user }),
    });
    const audit = await posted.json();
    return {
      content: {
        text: `user ${user} (${found.user.method} ${found.user.path})`,
        echoed: found.user,
        limit: found.limit,
        audit: { status: posted.status, ok: posted.ok, body: audit.body, type: audit.contentType },
      },
    };
  }
}
