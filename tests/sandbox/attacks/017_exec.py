# attack: exec a string
# expect: compile
# reason: "exec" is not allowed
class Script:
    def process_incoming_request(self, request):
        exec('x = 1')
