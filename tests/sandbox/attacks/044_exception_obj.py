# attack: read AttributeError.obj
# expect: run
# reason: "obj" of exceptions is not available
class Script:
    def process_incoming_request(self, request):
        try:
            request.nothing.nope
        except AttributeError as e:
            return getattr(e, 'obj')
