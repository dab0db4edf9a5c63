# attack: raise SystemExit to end the worker
# expect: run
# reason: NameError: name 'SystemExit' is not defined
class Script:
    def process_incoming_request(self, request):
        raise SystemExit(0)
