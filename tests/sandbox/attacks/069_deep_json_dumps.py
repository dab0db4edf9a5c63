# attack: make json.dumps recurse through a deep value
# expect: run
# reason: RecursionError
import json
class Script:
    def process_incoming_request(self, request):
        v = []
        for _ in range(100000):
            v = [v]
        return json.dumps(v)
