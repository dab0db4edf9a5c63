# attack: eval a string
# expect: compile
# reason: "eval" is not allowed
class Script:
    def process_incoming_request(self, request):
        return eval('1 + 1')
