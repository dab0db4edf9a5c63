# attack: return an int too long to write
# expect: run
# reason: cannot be written as JSON
class Script:
    def process_incoming_request(self, request):
        return {'n': 10 ** 5000}
