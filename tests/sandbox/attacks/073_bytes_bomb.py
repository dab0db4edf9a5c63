# attack: allocate 4 GB of bytes
# expect: run
# reason: ran out of memory
# limits: memory_mb=64
class Script:
    def process_incoming_request(self, request):
        return len(bytes(4 * 1024 ** 3))
