# attack: sleep by spinning on the clock
# expect: run
# reason: timed out
# limits: timeout_ms=300
import time
class Script:
    def process_incoming_request(self, request):
        end = time.monotonic() + 10
        while time.monotonic() < end:
            pass
