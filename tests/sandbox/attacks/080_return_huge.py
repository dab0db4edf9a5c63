# attack: return more than max_output_bytes
# expect: run
# reason: more than the limit
class Script:
    def process_incoming_request(self, request):
        return {'content': {'text': 'x' * (2 * 1024 * 1024)}}
