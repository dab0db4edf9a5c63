# attack: fetch __reduce_ex__ with getattr
# expect: run
# reason: starts with "_"
class Script:
    def process_incoming_request(self, request):
        return getattr(request, '__reduce_ex__')(2)
