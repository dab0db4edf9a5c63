# attack: return a cyclic dict
# expect: run
# reason: contains itself (a cycle)
class Script:
    def process_incoming_request(self, request):
        d = {}
        d['content'] = d
        return d
