# attack: import the os module
# expect: compile
# reason: import of "os" is not allowed
import os
class Script:
    def process_incoming_request(self, request):
        return os.getcwd()
