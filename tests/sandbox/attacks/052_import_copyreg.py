# attack: register a reducer with copyreg
# expect: compile
# reason: import of "copyreg" is not allowed
import copyreg
class Script:
    def process_incoming_request(self, request):
        return 1
