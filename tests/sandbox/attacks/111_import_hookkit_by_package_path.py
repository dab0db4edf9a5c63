# attack: import the kit by its real module path, to get the module instead of the proxy
# expect: compile
# reason: import of "hookhub.engines.python.hookkit" is not allowed
from hookhub.engines.python.hookkit import link
class Script:
    def process_incoming_request(self, request):
        return None
