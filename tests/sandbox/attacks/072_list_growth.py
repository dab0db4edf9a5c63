# attack: grow a list until memory runs out
# expect: run
# reason: ran out of memory
# limits: memory_mb=64 timeout_ms=5000
class Script:
    def process_incoming_request(self, request):
        keep = []
        while True:
            keep.append('x' * 1000000)
