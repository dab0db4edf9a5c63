// Enrich a webhook with a synchronous HTTP() lookup, as older Rocket.Chat allowed.
class Script {
  process_incoming_request({ request }) {
    const base = request.content.api;
    const reply = HTTP('GET', `${base}/users/${request.content.user}`, {
      headers: { Authorization: 'token abc' },
      params: { expand: 'teams' },
    });
    if (reply.error) {
      console.error('lookup failed:', reply.error);
      return { content: { text: `lookup failed: ${reply.error}` } };
    }
    const posted = HTTP('POST', `${base}/audit`, { data: { seen: request.content.user } });
    return {
      content: {
        text: `user ${request.content.user}`,
        status: reply.result.statusCode,
        echoed: reply.result.data,
        postedBody: posted.result.data.body,
      },
    };
  }
}
