# attack: from-import a name the proxy hides
# expect: run
# reason: cannot import name 'decoder'
from json import decoder
class Script:
    def process_incoming_request(self, request):
        return 1
