# attack: import importlib to load anything
# expect: compile
# reason: import of "importlib" is not allowed
import importlib
class Script:
    def process_incoming_request(self, request):
        return importlib.import_module('os')
