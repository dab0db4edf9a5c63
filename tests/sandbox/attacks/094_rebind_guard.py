# attack: rebind a guard function
# expect: compile
# reason: "_getattr_" is an invalid variable name
_getattr_ = None
class Script:
    def process_incoming_request(self, request):
        return 1
