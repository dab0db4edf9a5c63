# attack: return a function
# expect: run
# reason: the script returned a function
class Script:
    def process_incoming_request(self, request):
        return {'content': {'text': lambda: 1}}
