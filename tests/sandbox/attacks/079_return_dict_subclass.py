# attack: return a dict subclass with hostile methods
# expect: run
# reason: (a subclass of dict)
class D(dict):
    def __iter__(self):
        while True:
            pass
class Script:
    def process_incoming_request(self, request):
        return D(content={})
