# attack: import a submodule of an allowed module
# expect: compile
# reason: import of "json.decoder" is not allowed
import json.decoder
class Script:
    def process_incoming_request(self, request):
        return 1
