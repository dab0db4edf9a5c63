# attack: compile new code
# expect: compile
# reason: "compile" is not allowed
class Script:
    def process_incoming_request(self, request):
        return compile('1', 'x', 'eval')
