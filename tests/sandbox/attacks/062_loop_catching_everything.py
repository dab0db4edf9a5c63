# attack: loop forever and swallow the timeout with a bare except
# expect: run
# reason: timed out
# limits: timeout_ms=300
class Script:
    def process_incoming_request(self, request):
        while True:
            try:
                while True:
                    pass
            except:
                pass
