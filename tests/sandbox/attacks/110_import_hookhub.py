# attack: import hookhub itself (the server's package)
# expect: compile
# reason: import of "hookhub" is not allowed
import hookhub
class Script:
    def process_incoming_request(self, request):
        return None
