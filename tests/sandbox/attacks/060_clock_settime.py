# attack: set the system clock
# expect: run
# reason: time.clock_settime is not available
import time
class Script:
    def process_incoming_request(self, request):
        time.clock_settime(0, 0)
