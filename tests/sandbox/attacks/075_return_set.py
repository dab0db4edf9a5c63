# attack: return a set
# expect: run
# reason: the script returned a set
class Script:
    def process_incoming_request(self, request):
        return {'content': {'text': {1, 2}}}
