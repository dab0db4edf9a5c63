# attack: seed random so the neighbour's numbers are predictable
# expect: ok
import random
class Script:
    def process_incoming_request(self, request):
        random.seed(42)
        return random.random()
