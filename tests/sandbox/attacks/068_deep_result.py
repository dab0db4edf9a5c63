# attack: return a value nested 100000 levels deep
# expect: run
# reason: nested deeper than 64 levels
class Script:
    def process_incoming_request(self, request):
        v = []
        for _ in range(100000):
            v = [v]
        return v
