# attack: read bytecode of a function
# expect: run
# reason: frames, code objects
class Script:
    def process_incoming_request(self, request):
        def f():
            pass
        return getattr(f, 'co_' + 'code')
