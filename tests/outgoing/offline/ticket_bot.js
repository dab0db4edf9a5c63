// Written for hookhub's tests in the style of Rocket.Chat outgoing scripts: a chat command
// becomes an API call, and the API's answer becomes a reply in the channel.
class Script {
  prepare_outgoing_request({ request }) {
    const match = request.data.text.match(/^!ticket\s+(\d+)$/);
    if (request.data.text === '!help') {
      return { message: { text: 'usage: `!ticket <number>`' } };
    }
    if (!match) {
      return;  // not a command: nothing is sent
    }
    console.log('looking up ticket', match[1], 'for', request.data.user_name);
    return {
      url: request.url + '/tickets/' + match[1],
      method: 'GET',
      headers: { Authorization: 'Bearer ' + request.data.token },
    };
  }

  process_outgoing_response({ request, response }) {
    if (response.status_code === 404) {
      return { content: { text: 'no such ticket' } };
    }
    const t = response.content;
    return {
      content: {
        text: `#${t.id} ${t.title} (${t.state})`,
        attachments: [{ title: t.title, title_link: t.url, color: t.state === 'open' ? '#2eb886' : '#a30200' }],
      },
    };
  }
}
