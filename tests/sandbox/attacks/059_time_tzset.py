# attack: change the process time zone
# expect: run
# reason: time.tzset is not available
import time
class Script:
    def process_incoming_request(self, request):
        time.tzset()
