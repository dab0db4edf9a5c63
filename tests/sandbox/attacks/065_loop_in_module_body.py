# attack: loop forever while the module loads
# expect: run
# reason: timed out
# limits: timeout_ms=300
while True:
    pass
class Script:
    def process_incoming_request(self, request):
        return 1
