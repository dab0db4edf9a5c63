# attack: climb out through a generator frame
# expect: compile
# reason: "gi_frame" is a restricted name
class Script:
    def process_incoming_request(self, request):
        def g():
            yield 1
        return g().gi_frame.f_back.f_globals
