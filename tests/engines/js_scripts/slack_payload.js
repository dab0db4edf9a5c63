// A Slack-compatible sender posts `payload=<url-encoded JSON>`; this script reads
// the raw body itself, the way such Rocket.Chat scripts did.
class Script {
  process_incoming_request({ request }) {
    let data = request.content;
    if (!data || !data.text) {
      const raw = request.content_raw || '';
      const field = raw.split('&').find((pair) => pair.startsWith('payload='));
      data = field ? JSON.parse(decodeURIComponent(field.slice('payload='.length).replace(/\+/g, ' '))) : {};
    }
    return { content: { text: data.text, username: data.username, icon_emoji: data.icon_emoji } };
  }
}
