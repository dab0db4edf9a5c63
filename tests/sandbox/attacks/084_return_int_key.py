# attack: return a dict with an int key
# expect: run
# reason: JSON object keys must be strings
class Script:
    def process_incoming_request(self, request):
        return {'content': {1: 'x'}}
