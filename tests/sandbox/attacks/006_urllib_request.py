# attack: reach the network through urllib.request
# expect: compile
# reason: import of "urllib" is not allowed
from urllib import request as r
class Script:
    def process_incoming_request(self, request):
        return r.urlopen('http://127.0.0.1')
