# attack: smuggle format fields through hookkit's text helpers, hoping they call str.format
# expect: ok
import hookkit
class Script:
    def process_incoming_request(self, request):
        texts = [
            hookkit.link('{0.__class__.__mro__}', '{0.__globals__}'),
            hookkit.payload_problem({}, ['{0.__init__.__globals__}'], '{0!r:{1}}'),
            hookkit.plural('{0.__class__}', '{x}'),
            hookkit.commit_line('{0}', '{0.__dict__}', '{1}', '{2}'),
        ]
        assert texts[0] == '[{0.__class__.__mro__}]({0.__globals__})', texts[0]
        assert '{0.__init__.__globals__}' in texts[1], texts[1]
        return {'content': {'text': '\n'.join(texts)}}
