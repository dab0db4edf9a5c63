# attack: a list of a billion items
# expect: run
# reason: ran out of memory
# limits: memory_mb=64
class Script:
    def process_incoming_request(self, request):
        return len([0] * (10 ** 9))
