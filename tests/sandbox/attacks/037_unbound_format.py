# attack: call str.format unbound
# expect: compile
# reason: ".format()" is not allowed
class Script:
    def process_incoming_request(self, request):
        return str.format('{0.__class__}', 1)
