// Every kind of return value the contract distinguishes (CONTRACT §5).
class Script {
  process_incoming_request({ request }) {
    switch (request.content.want) {
      case 'error-text': return { error: 'this webhook is not welcome' };
      case 'error-object': return { error: { success: false, reason: 'bad signature', code: 4 } };
      case 'undefined': return undefined;
      case 'nothing': return;
      case 'null': return null;
      case 'false': return false;
      case 'zero': return 0;
      case 'empty-string': return '';
      case 'empty-object': return {};
      case 'channel': return { content: { text: 'moved', channel: request.content.channel } };
      case 'response': return { content: { text: 'with response' }, response: { id: 42 } };
      case 'undefined-fields': return { content: { text: 'x', emoji: undefined, attachments: [undefined, { text: 'a' }] } };
      case 'function': return { content: { text: 'x', fn: () => 1 } };
      case 'bigint': return { content: { text: 'x', n: 10n } };
      case 'cycle': { const o = { text: 'x' }; o.self = o; return { content: o }; }
      case 'nan': return { content: { text: 'x', n: NaN, inf: -Infinity } };
      default: throw new Error(`unknown want ${request.content.want}`);
    }
  }
}
