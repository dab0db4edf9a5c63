# attack: change the request seen by later calls
# expect: run
# reason: read-only
class Script:
    def process_incoming_request(self, request):
        request['content'] = {'text': 'changed'}
