# attack: load code with marshal
# expect: compile
# reason: import of "marshal" is not allowed
import marshal
class Script:
    def process_incoming_request(self, request):
        return 1
