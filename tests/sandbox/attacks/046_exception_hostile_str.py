# attack: raise an exception whose __str__ never returns
# expect: run
# reason: <exception str() failed>
# limits: timeout_ms=300
class E(Exception):
    def __str__(self):
        while True:
            pass
class Script:
    def process_incoming_request(self, request):
        raise E()
