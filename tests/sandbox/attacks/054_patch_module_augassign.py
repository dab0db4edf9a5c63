# attack: change string.ascii_letters in place
# expect: run
# reason: cannot change module
import string
class Script:
    def process_incoming_request(self, request):
        string.ascii_letters += 'x'
