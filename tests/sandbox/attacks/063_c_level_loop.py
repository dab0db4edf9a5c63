# attack: loop forever inside C code (sum over an endless iterator)
# expect: run
# reason: timed out
# limits: timeout_ms=300
import itertools
class Script:
    def process_incoming_request(self, request):
        return sum(itertools.count())
