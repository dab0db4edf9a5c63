# attack: replace str.upper
# expect: run
# reason: cannot change class
class Script:
    def process_incoming_request(self, request):
        str.upper = None
