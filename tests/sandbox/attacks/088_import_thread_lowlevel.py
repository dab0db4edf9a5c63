# attack: start a thread with _thread
# expect: compile
# reason: "_thread" is an invalid variable name
import _thread
class Script:
    def process_incoming_request(self, request):
        return 1
