# attack: list what the hookkit proxy holds by iterating it
# expect: run
# reason: is not iterable
import hookkit
class Script:
    def process_incoming_request(self, request):
        return [name for name in hookkit]
