# attack: read a function's __globals__
# expect: compile
# reason: "__globals__" is an invalid attribute name
class Script:
    def process_incoming_request(self, request):
        f = lambda: 0
        return f.__globals__
