# attack: allocate a 10 GB string
# expect: run
# reason: ran out of memory
# limits: memory_mb=64
class Script:
    def process_incoming_request(self, request):
        return len('x' * (10 ** 10))
