# attack: import the kit by its real module path, to get the module instead of the proxy
# expect: compile
# reason: import of "hookhub.sandbox.hookkit" is not allowed
from hookhub.sandbox.hookkit import link
class Script:
    def process_incoming_request(self, request):
        return None
