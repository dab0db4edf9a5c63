# attack: replace a method of collections.Counter
# expect: run
# reason: cannot change class Counter
import collections
class Script:
    def process_incoming_request(self, request):
        collections.Counter.most_common = None
