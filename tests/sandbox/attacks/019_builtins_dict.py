# attack: fetch eval from __builtins__
# expect: compile
# reason: "__builtins__" is an invalid variable name
class Script:
    def process_incoming_request(self, request):
        return __builtins__['eval']('1')
