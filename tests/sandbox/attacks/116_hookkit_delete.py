# attack: delete a hookkit function so that other integrations fail
# expect: run
# reason: cannot change module
import hookkit
class Script:
    def process_incoming_request(self, request):
        del hookkit.message
        return None
