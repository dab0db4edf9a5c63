# attack: fetch .format through getattr
# expect: run
# reason: use an f-string
class Script:
    def process_incoming_request(self, request):
        return getattr('{0.__class__}', 'for' + 'mat')(1)
