# attack: import sys inside a method
# expect: compile
# reason: import of "sys" is not allowed
class Script:
    def process_incoming_request(self, request):
        import sys
        return sys.modules
