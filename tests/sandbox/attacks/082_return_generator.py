# attack: return a generator
# expect: run
# reason: the script returned a generator
class Script:
    def process_incoming_request(self, request):
        return (x for x in range(3))
