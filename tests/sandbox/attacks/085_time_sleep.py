# attack: sleep
# expect: run
# reason: time.sleep is not available
import time
class Script:
    def process_incoming_request(self, request):
        time.sleep(10)
