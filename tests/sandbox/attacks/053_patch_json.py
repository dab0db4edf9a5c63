# attack: replace json.dumps for everybody
# expect: run
# reason: cannot change module
import json
class Script:
    def process_incoming_request(self, request):
        json.dumps = lambda *a, **k: 'pwned'
