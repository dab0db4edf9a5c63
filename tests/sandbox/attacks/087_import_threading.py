# attack: start a thread
# expect: compile
# reason: import of "threading" is not allowed
import threading
class Script:
    def process_incoming_request(self, request):
        threading.Thread(target=len).start()
