# attack: build '__class__' at run time for getattr
# expect: run
# reason: starts with "_"
class Script:
    def process_incoming_request(self, request):
        name = '__cl' + 'ass__'
        return getattr(request, name)
