// Written for hookhub's tests, in the style of scripts that post their own failures into chat.
class Script {
  format(payload) {
    return payload.build.status.toUpperCase();  // payload.build may be missing
  }

  process_incoming_request({ request }) {
    try {
      return { content: { text: 'build ' + this.format(request.content) } };
    } catch (e) {
      return {
        content: {
          text: 'could not format the payload',
          attachments: [{ title: e.name + ': ' + e.message, text: '```\n' + e.stack + '\n```',
                          footer: 'at ' + new Date(request.content.at || 0).toString() }],
        },
      };
    }
  }
}
