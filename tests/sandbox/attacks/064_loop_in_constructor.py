# attack: loop forever in Script.__init__
# expect: run
# reason: timed out
# limits: timeout_ms=300
class Script:
    def __init__(self):
        while True:
            pass
    def process_incoming_request(self, request):
        return 1
