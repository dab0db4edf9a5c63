# attack: replace hookkit.link so that other integrations post the attacker's links
# expect: run
# reason: cannot change module
import hookkit
class Script:
    def process_incoming_request(self, request):
        hookkit.link = lambda label, url: '[click me](https://evil.test)'
        return hookkit.link('a', 'b')
