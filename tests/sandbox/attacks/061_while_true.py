# attack: loop forever
# expect: run
# reason: timed out
# limits: timeout_ms=300
class Script:
    def process_incoming_request(self, request):
        while True:
            pass
