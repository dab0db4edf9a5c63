# attack: gi_frame through getattr at run time
# expect: run
# reason: frames, code objects and function internals are out of reach
class Script:
    def process_incoming_request(self, request):
        def g():
            yield 1
        return getattr(g(), 'gi_' + 'frame')
